package kmeans

import "github.com/crmlens/crmlens/analytics/customer"

// RFMMatrix returns the n×3 row-major matrix of set's customers in the order
// of RFMFeatures: days from the last purchase to set.AsOf, distinct orders,
// and revenue in currency units. Row i is set.Customers[i].
func RFMMatrix(set *customer.Set) []float64 {
	asOf := customer.DayOf(set.AsOf)
	x := make([]float64, 0, 3*len(set.Customers))
	for _, c := range set.Customers {
		x = append(x, float64(asOf-customer.DayOf(c.Last)), float64(c.Orders), c.Revenue.Float())
	}
	return x
}
