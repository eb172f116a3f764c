package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// The expected interval between runs, counted by hand from the calendar.
func TestExpectedRunInterval(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // a Wednesday
	berlin := "Europe/Berlin"
	cases := []struct {
		name string
		rs   crmv1.ReportScheduleSpec
		want time.Duration
	}{
		{"weekly Monday 06:00", crmv1.ReportScheduleSpec{Schedule: "0 6 * * 1"}, 7 * 24 * time.Hour},
		{"hourly", crmv1.ReportScheduleSpec{Schedule: "0 * * * *"}, time.Hour},
		{"weekdays: Friday to Monday is the longest gap", crmv1.ReportScheduleSpec{Schedule: "30 7 * * 1-5"}, 72 * time.Hour},
		// 1 Dec → 1 Jan → 1 Feb …: December and January have 31 days.
		{"monthly", crmv1.ReportScheduleSpec{Schedule: "0 0 1 * *"}, 31 * 24 * time.Hour},
		// Daily at 02:30 Berlin: 24 hours (16 slots from 2 Dec stay in winter time).
		{"daily in a zone", crmv1.ReportScheduleSpec{Schedule: "30 2 * * *", TimeZone: &berlin}, 24 * time.Hour},
		{"suspended", crmv1.ReportScheduleSpec{Schedule: "0 6 * * 1", Suspend: true}, 0},
		{"unparseable", crmv1.ReportScheduleSpec{Schedule: "every monday"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := scheduleInterval(&crmv1.ReportSchedule{Spec: c.rs}, now); got != c.want {
				t.Errorf("interval %v, want %v", got, c.want)
			}
		})
	}
	day := metav1.Duration{Duration: 24 * time.Hour}
	models := []struct {
		name string
		spec crmv1.SegmentationModelSpec
		want time.Duration
	}{
		{"refreshInterval", crmv1.SegmentationModelSpec{RefreshInterval: &day}, 24 * time.Hour},
		{"no refreshInterval: runs on spec changes only", crmv1.SegmentationModelSpec{}, 0},
		{"suspended", crmv1.SegmentationModelSpec{RefreshInterval: &day, Suspend: true}, 0},
	}
	for _, c := range models {
		t.Run(c.name, func(t *testing.T) {
			if got := modelInterval(&crmv1.SegmentationModel{Spec: c.spec}); got != c.want {
				t.Errorf("interval %v, want %v", got, c.want)
			}
		})
	}
}
