package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// campaignSources renders the DataSources the KPI reports name in
// campaignSourceRef (content Campaigns, else a MissingRefError), skipping
// names already among the schedule's own sources. Their credential variables get their own prefix.
func campaignSources(ctx context.Context, c client.Reader, ns string, reports []crmv1.Report, have []crmv1.SourceRef) ([]renderedSource, error) {
	seen := map[string]bool{}
	for _, s := range have {
		seen[s.Name] = true
	}
	var out []renderedSource
	for _, rep := range reports {
		if rep.KPI == nil || rep.KPI.CampaignSourceRef == nil {
			continue
		}
		name := rep.KPI.CampaignSourceRef.Name
		var ds crmv1.DataSource
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ds); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, &MissingRefError{Reason: crmv1.ReasonSourceNotFound, Msg: fmt.Sprintf("campaign DataSource %q not found", name)}
			}
			return nil, fmt.Errorf("get DataSource %q: %w", name, err)
		}
		if ds.Spec.Content != crmv1.ContentCampaigns {
			return nil, &MissingRefError{Reason: crmv1.ReasonInvalidCampaignSource, Msg: fmt.Sprintf("DataSource %q named by campaignSourceRef holds %s, not Campaigns", name, orDefault(string(ds.Spec.Content), string(crmv1.ContentTransactions)))}
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, renderSource(&ds, "", fmt.Sprintf("CRMLENS_C%d_", len(out))))
	}
	return out, nil
}
