// Package clv estimates customer lifetime value with the buy-till-you-die models
// of Fader, Hardie & Lee: BG/NBD for the purchase process (expected purchases,
// probability alive) and Gamma-Gamma for spend per purchase, both fitted by
// maximum likelihood. It combines them into a discounted CLV with margin and
// acquisition/retention cost.
//
// Inputs are per-customer summaries (x repeat purchase days, recency t_x, age T,
// mean repeat-day spend) in a chosen time unit; SummaryFrom builds one from a
// customer.Customer history. Same-day purchases count as one, as in the
// literature, so a "purchase" below is a purchase day.
package clv
