package memlimit

import "testing"

func TestLimitFor(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    int64
	}{
		{"max\n", 0},
		{"1073741824\n", 858993459},  // 1 GiB · 0.8, truncated
		{"536870912", 429496729},     // 512 MiB · 0.8
		{"9223372036854771712\n", 0}, // cgroup v1 "unlimited"
		{"", 0},
		{"-1", 0},
		{"garbage", 0},
	} {
		if got := limitFor(tc.content); got != tc.want {
			t.Errorf("limitFor(%q) = %d, want %d", tc.content, got, tc.want)
		}
	}
}
