package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SourceRef points at a DataSource in the same namespace.
type SourceRef struct {
	// name of the DataSource in the same namespace (a DNS-1123 subdomain).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// channel labels every transaction of this source with a sales channel,
	// such as "web" or "store", overriding the source's channel column. It
	// lets several channels merge into one customer view.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$`
	Channel string `json:"channel,omitempty"`
}

// RefundPolicy says what happens to refund rows (negative amounts).
// +kubebuilder:validation:Enum=Net;Drop
type RefundPolicy string

// Refund policies.
const (
	// RefundNet subtracts refunds from the customer's monetary value.
	RefundNet RefundPolicy = "Net"
	// RefundDrop rejects refund rows with reason "refund".
	RefundDrop RefundPolicy = "Drop"
)

// CleaningRules declare how raw rows become analysable transactions. Every
// row dropped is counted in status by reason; none is dropped silently.
// +kubebuilder:validation:XValidation:rule="!has(self.minAmount) || !has(self.maxAmount) || !self.minAmount.matches('^[0-9]+([.][0-9]{1,4})?$') || !self.maxAmount.matches('^[0-9]+([.][0-9]{1,4})?$') || double(self.maxAmount) == 0.0 || double(self.minAmount) <= double(self.maxAmount)",message="minAmount must not exceed maxAmount (a maxAmount of 0 sets no maximum)",fieldPath=".minAmount"
type CleaningRules struct {
	// dropGifts drops gift rows (gift flag set, or zero price) with reason
	// "gift".
	// +optional
	// +kubebuilder:default=true
	DropGifts *bool `json:"dropGifts,omitempty"`

	// dedupeOrders drops repeated order lines with reason "duplicateOrder": a
	// line equal in every mapped column (customer, order ID, timestamp,
	// amount, channel, category, product, quantity, gift) to an earlier
	// accepted line. Needs schema.transactions.orderID; sources without it
	// are not deduplicated.
	// +optional
	// +kubebuilder:default=true
	DedupeOrders *bool `json:"dedupeOrders,omitempty"`

	// refunds says what happens to negative amounts (refunds), negative
	// quantities (returns) and cancellations (see cancellationPrefix): Net
	// (subtract from the customer's value, the default; never an order) or
	// Drop (reject with reason "refund", "return" or "cancellation").
	// +optional
	// +kubebuilder:default=Net
	Refunds RefundPolicy `json:"refunds,omitempty"`

	// minAmount drops rows with a smaller positive amount, with reason
	// "belowMinAmount".
	// +optional
	MinAmount *Money `json:"minAmount,omitempty"`

	// maxAmount drops rows with a larger amount as outliers, with reason
	// "aboveMaxAmount". Zero sets no maximum.
	// +optional
	MaxAmount *Money `json:"maxAmount,omitempty"`

	// mergeSameDay counts several purchases of one customer on one day as a
	// single purchase, as the BG/NBD literature does: the customer's
	// frequency (RFM, value matrix, k-means, lifecycle loyalty, KPI orders
	// and average order value) becomes the number of distinct purchase days
	// in the source's time zone. CLV always works on purchase days.
	// +optional
	MergeSameDay bool `json:"mergeSameDay,omitempty"`

	// cancellationPrefix marks cancellations: a line whose order ID starts
	// with it (e.g. "C" for invoice C536379) is a cancellation and follows
	// refunds (Net: subtracted from the customer's value and never counted
	// as an order; Drop: rejected with reason "cancellation"). Needs
	// schema.transactions.orderID on the sources to have an effect.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=16
	CancellationPrefix string `json:"cancellationPrefix,omitempty"`
}

// MethodType names a segmentation method.
// +kubebuilder:validation:Enum=RFM;KMeans;ValueMatrix;Lifecycle;CLV
type MethodType string

// Segmentation methods.
const (
	MethodRFM         MethodType = "RFM"
	MethodKMeans      MethodType = "KMeans"
	MethodValueMatrix MethodType = "ValueMatrix"
	MethodLifecycle   MethodType = "Lifecycle"
	MethodCLV         MethodType = "CLV"
)

// Method selects a segmentation method and its parameters. Only the block of
// the selected type may be set; an absent block means its defaults.
// +kubebuilder:validation:XValidation:rule="!has(self.rfm) || self.type == 'RFM'",message="method.rfm may only be set when method.type is RFM",fieldPath=".rfm"
// +kubebuilder:validation:XValidation:rule="!has(self.kmeans) || self.type == 'KMeans'",message="method.kmeans may only be set when method.type is KMeans",fieldPath=".kmeans"
// +kubebuilder:validation:XValidation:rule="!has(self.valueMatrix) || self.type == 'ValueMatrix'",message="method.valueMatrix may only be set when method.type is ValueMatrix",fieldPath=".valueMatrix"
// +kubebuilder:validation:XValidation:rule="!has(self.lifecycle) || self.type == 'Lifecycle'",message="method.lifecycle may only be set when method.type is Lifecycle",fieldPath=".lifecycle"
// +kubebuilder:validation:XValidation:rule="!has(self.clv) || self.type == 'CLV'",message="method.clv may only be set when method.type is CLV",fieldPath=".clv"
type Method struct {
	// type is the method: RFM (recency, frequency and monetary scores mapped
	// to named segments), KMeans (clusters on standardised behaviour),
	// ValueMatrix (average order value x frequency quadrants), Lifecycle (new,
	// active, loyal, at risk, churned) or CLV (BG/NBD + Gamma-Gamma lifetime
	// value tiers).
	// +required
	Type MethodType `json:"type"`

	// rfm parameters, only with type RFM.
	// +optional
	RFM *RFMParams `json:"rfm,omitempty"`

	// kmeans parameters, only with type KMeans.
	// +optional
	KMeans *KMeansParams `json:"kmeans,omitempty"`

	// valueMatrix parameters, only with type ValueMatrix.
	// +optional
	ValueMatrix *ValueMatrixParams `json:"valueMatrix,omitempty"`

	// lifecycle parameters, only with type Lifecycle.
	// +optional
	Lifecycle *LifecycleParams `json:"lifecycle,omitempty"`

	// clv parameters, only with type CLV.
	// +optional
	CLV *CLVParams `json:"clv,omitempty"`
}

// RFMParams tune RFM scoring.
type RFMParams struct {
	// monetary is the basis of the monetary score: Total spend (default) or
	// Average order value (spend divided by orders). Scores are always
	// quintiles 1-5.
	// +optional
	// +kubebuilder:default=Total
	// +kubebuilder:validation:Enum=Total;Average
	Monetary string `json:"monetary,omitempty"`

	// segmentMap replaces the standard 11-segment map (Champions, Loyal, ...,
	// Lost). Rules are tried in order; the first whose score ranges contain
	// the customer's scores names the segment. Customers no rule matches are
	// counted in the segment "Other".
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=125
	// +listType=atomic
	SegmentMap []RFMSegmentRule `json:"segmentMap,omitempty"`
}

// ScoreRange is a single score such as "5" or an inclusive range such as
// "3-5". Scores are quintiles 1-5, so a bound above 5 (allowed for older
// manifests) matches as 5.
// +kubebuilder:validation:MaxLength=3
// +kubebuilder:validation:Pattern=`^[1-9](-[1-9])?$`
// +kubebuilder:validation:XValidation:rule="self.size() == 1 || self.substring(0, 1) <= self.substring(2)",message="score range must be low-high, such as 3-5"
type ScoreRange string

// RFMSegmentRule names the segment of customers whose scores fall in all
// three ranges.
type RFMSegmentRule struct {
	// segment is the segment's name, such as "Champions".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Segment string `json:"segment"`
	// recency score range, such as "4-5". Higher is more recent.
	// +optional
	// +kubebuilder:default="1-9"
	Recency ScoreRange `json:"recency,omitempty"`
	// frequency score range, such as "4-5".
	// +optional
	// +kubebuilder:default="1-9"
	Frequency ScoreRange `json:"frequency,omitempty"`
	// monetary score range, such as "1-2".
	// +optional
	// +kubebuilder:default="1-9"
	Monetary ScoreRange `json:"monetary,omitempty"`
}

// KMeansFeature names a per-customer feature clustered by KMeans.
// Recency is days since the last purchase, Frequency the orders, Monetary
// the spend, AverageOrderValue spend per order, Tenure days since the first
// purchase and InterPurchaseTime the mean days between orders ((last - first)
// / (orders - 1); for a one-order customer, days since that order).
// +kubebuilder:validation:Enum=Recency;Frequency;Monetary;AverageOrderValue;Tenure;InterPurchaseTime
type KMeansFeature string

// KMeansParams tune K-means clustering. Set k for a fixed number of clusters
// or kMin and kMax to choose k by silhouette score; neither means k=4.
// +kubebuilder:validation:XValidation:rule="!has(self.k) || (!has(self.kMin) && !has(self.kMax))",message="kmeans: set either k or kMin/kMax, not both",fieldPath=".k"
// +kubebuilder:validation:XValidation:rule="has(self.kMin) == has(self.kMax)",message="kmeans: kMin and kMax must be set together",fieldPath=".kMin"
// +kubebuilder:validation:XValidation:rule="!has(self.kMin) || !has(self.kMax) || self.kMin < self.kMax",message="kmeans.kMin must be less than kMax",fieldPath=".kMin"
type KMeansParams struct {
	// k is a fixed number of clusters.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=20
	K *int32 `json:"k,omitempty"`

	// kMin is the smallest k tried when choosing k automatically.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=20
	KMin *int32 `json:"kMin,omitempty"`

	// kMax is the largest k tried when choosing k automatically.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=20
	KMax *int32 `json:"kMax,omitempty"`

	// features clustered, in this order: Frequency, Monetary and
	// AverageOrderValue are clustered on log(1 + x) (they are right-skewed),
	// then every feature is standardised.
	// +optional
	// +kubebuilder:default={Recency,Frequency,Monetary}
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=6
	// +listType=set
	Features []KMeansFeature `json:"features,omitempty"`

	// seed makes initialisation (k-means++) reproducible.
	// +optional
	// +kubebuilder:default=1
	Seed int64 `json:"seed,omitempty"`

	// restarts is the number of k-means++ initialisations per k; the one with
	// the lowest inertia is kept.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Restarts int32 `json:"restarts,omitempty"`

	// maxIterations bounds Lloyd iterations per restart.
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	MaxIterations int32 `json:"maxIterations,omitempty"`
}

// ValueMatrixParams tune the customer value matrix. Without thresholds the
// medians of the analysed customers split the axes.
type ValueMatrixParams struct {
	// averageOrderValue splits Spender/Best from Frequent/Uncertain.
	// +optional
	AverageOrderValue *Money `json:"averageOrderValue,omitempty"`

	// frequency (orders per customer) splits Frequent/Best from
	// Spender/Uncertain.
	// +optional
	// +kubebuilder:validation:Minimum=1
	Frequency *int32 `json:"frequency,omitempty"`
}

// LifecycleParams set the lifecycle stage boundaries, as Go durations of
// whole days relative to the analysis date.
// +kubebuilder:validation:XValidation:rule="!self.newWithin.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || !self.activeWithin.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self.newWithin) <= duration(self.activeWithin)",message="lifecycle.newWithin must not exceed activeWithin",fieldPath=".newWithin"
// +kubebuilder:validation:XValidation:rule="!self.activeWithin.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || !self.churnedAfter.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self.activeWithin) < duration(self.churnedAfter)",message="lifecycle.activeWithin must be shorter than churnedAfter",fieldPath=".activeWithin"
type LifecycleParams struct {
	// newWithin: a customer whose first purchase is this recent is New.
	// +optional
	// +kubebuilder:default="720h"
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	NewWithin *metav1.Duration `json:"newWithin,omitempty"`

	// activeWithin: a customer whose last purchase is this recent is Active
	// (or Loyal); older, they are AtRisk.
	// +optional
	// +kubebuilder:default="2160h"
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	ActiveWithin *metav1.Duration `json:"activeWithin,omitempty"`

	// churnedAfter: a customer whose last purchase is older is Churned.
	// +optional
	// +kubebuilder:default="8760h"
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	ChurnedAfter *metav1.Duration `json:"churnedAfter,omitempty"`

	// loyalMinOrders: an active customer with at least this many orders is
	// Loyal.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=2
	LoyalMinOrders int32 `json:"loyalMinOrders,omitempty"`
}

// TimeUnit is the period BG/NBD counts time in.
// +kubebuilder:validation:Enum=Day;Week;Month
type TimeUnit string

// CLVParams tune lifetime value: BG/NBD for expected purchases and
// probability alive, Gamma-Gamma for spend per order.
type CLVParams struct {
	// calibrationEnd ends the period the models are fitted on (YYYY-MM-DD);
	// the analysis date when unset.
	// +optional
	CalibrationEnd *Date `json:"calibrationEnd,omitempty"`

	// timeUnit is the period recency, T and horizon are counted in.
	// +optional
	// +kubebuilder:default=Week
	TimeUnit TimeUnit `json:"timeUnit,omitempty"`

	// horizon is how many time units ahead value is predicted.
	// +optional
	// +kubebuilder:default=52
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3660
	Horizon int32 `json:"horizon,omitempty"`

	// margin is the profit share of revenue, above 0 and at most 1.
	// +optional
	// +kubebuilder:default="1"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0([.][0-9]+)?|1([.]0+)?)$') || double(self) > 0.0",message="clv.margin must be above 0 (and at most 1)"
	Margin Fraction `json:"margin,omitempty"`

	// discountRate is the annual discount rate, between 0 and 1.
	// +optional
	// +kubebuilder:default="0.1"
	DiscountRate Fraction `json:"discountRate,omitempty"`

	// acquisitionCost is the cost of winning one customer, subtracted once.
	// +optional
	// +kubebuilder:default="0"
	AcquisitionCost Money `json:"acquisitionCost,omitempty"`

	// retentionCost is the cost of keeping one customer per time unit while
	// they are expected to be alive.
	// +optional
	// +kubebuilder:default="0"
	RetentionCost Money `json:"retentionCost,omitempty"`

	// tiers is the number of segments customers are split into by predicted
	// value (equal-sized quantiles, "Tier 1" the most valuable).
	// +optional
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=10
	Tiers int32 `json:"tiers,omitempty"`
}

// Output says where results go. A summary ConfigMap (aggregates only, never
// personal data) is always written; per-customer rows go only to store.
type Output struct {
	// configMapName names the summary ConfigMap; "<object name>-result" when
	// unset.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ConfigMapName string `json:"configMapName,omitempty"`

	// store receives per-customer results (segment, scores, value) of every
	// run.
	// +optional
	Store *ResultStore `json:"store,omitempty"`

	// pseudonymize replaces customer IDs by keyed hashes wherever they leave
	// the analysis (per-customer store rows, reports).
	// +optional
	Pseudonymize *Pseudonymization `json:"pseudonymize,omitempty"`

	// retention bounds the age of stored runs (next to store keepRuns).
	// +optional
	Retention *Retention `json:"retention,omitempty"`
}

// Pseudonymization replaces each customer ID by the first 16 hex characters
// of HMAC-SHA256(key, id): stable across runs with the same key, so exports
// still join, and neither reversible nor rebuildable from guessed IDs
// without the key. The key reaches the analysis Job only through a
// secretKeyRef; it never appears in the Job spec, ConfigMaps, status or
// Events.
type Pseudonymization struct {
	// secretRef selects the Secret key holding the hash key: at least 16
	// bytes. A missing Secret keeps the Job from starting; a short key fails
	// the run with reason Pseudonymize.
	// +required
	SecretRef SecretKeySelector `json:"secretRef"`
}

// ResultStore is an external store for per-customer results.
// +kubebuilder:validation:XValidation:rule="has(self.postgres) != has(self.objectStore)",message="store: set exactly one of postgres or objectStore"
type ResultStore struct {
	// postgres writes rows into a table.
	// +optional
	Postgres *PostgresStore `json:"postgres,omitempty"`

	// objectStore writes one file per run.
	// +optional
	ObjectStore *ObjectStoreSink `json:"objectStore,omitempty"`
}

// PostgresStore writes results into a PostgreSQL table, one row per customer
// and run.
// +kubebuilder:validation:XValidation:rule="has(self.dataSourceRef) != has(self.connection)",message="store.postgres: set exactly one of dataSourceRef or connection"
type PostgresStore struct {
	// dataSourceRef reuses the connection of a postgres DataSource.
	// +optional
	DataSourceRef *LocalObjectReference `json:"dataSourceRef,omitempty"`

	// connection to the database when no DataSource is reused.
	// +optional
	Connection *PostgresConnection `json:"connection,omitempty"`

	// table to write, optionally schema-qualified; created when missing.
	// +required
	// +kubebuilder:validation:MaxLength=127
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`
	Table string `json:"table"`

	// keepRuns is how many runs are kept in the table; older runs are deleted.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	KeepRuns int32 `json:"keepRuns,omitempty"`
}

// ObjectStoreSink writes each run's results under
// <prefix>/<namespace>/<name>/<run>/: customers.<format> (per-customer rows),
// result.json and report.html, published by a _COMPLETE marker written last.
type ObjectStoreSink struct {
	ObjectStoreConnection `json:",inline"`

	// prefix under which run folders <prefix>/<namespace>/<name>/<run>/ are
	// written; readers must require the run's _COMPLETE marker.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Prefix string `json:"prefix,omitempty"`

	// format of the files: csv or parquet.
	// +optional
	// +kubebuilder:default=parquet
	Format FileFormat `json:"format,omitempty"`

	// keepRuns is how many complete run folders of the model are kept, this
	// run's included; older ones are deleted after each run publishes.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	KeepRuns int32 `json:"keepRuns,omitempty"`
}

// SegmentationModelSpec declares which customers to analyse, how, and where
// results go.
// +kubebuilder:validation:XValidation:rule="!has(self.window) || !has(self.asOf)",message="set at most one of window (a rolling period ending at each run) or asOf (a fixed analysis date)",fieldPath=".asOf"
// +kubebuilder:validation:XValidation:rule="!has(self.asOf) || !has(self.method.clv) || !has(self.method.clv.calibrationEnd) || self.method.clv.calibrationEnd <= self.asOf",message="method.clv.calibrationEnd must not be after asOf: the models are fitted on data up to the analysis date",fieldPath=".method.clv.calibrationEnd"
type SegmentationModelSpec struct {
	// sources are the DataSources merged into one customer view; each name at
	// most once. Transactions sources are analysed; Customers sources add
	// attributes for breakdowns.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	Sources []SourceRef `json:"sources"`

	// window analyses only transactions within this Go duration before each
	// run, such as "8760h" for a rolling year. All history when unset.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) >= duration('24h')",message="window must be at least 24h"
	Window *metav1.Duration `json:"window,omitempty"`

	// asOf fixes the analysis date (YYYY-MM-DD): only transactions up to the
	// end of that day count and recency is measured from it, so results are
	// reproducible. The run time when unset.
	// +optional
	AsOf *Date `json:"asOf,omitempty"`

	// cleaning rules applied before analysis.
	// +optional
	// +kubebuilder:default={}
	Cleaning *CleaningRules `json:"cleaning,omitempty"`

	// method is the segmentation method and its parameters.
	// +required
	Method Method `json:"method"`

	// output says where results go.
	// +optional
	Output Output `json:"output,omitempty"`

	// refreshInterval re-runs the analysis this often (Go duration); also
	// re-run on spec changes and on the crmlens.io/run-now annotation.
	// +optional
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) >= duration('1m')",message="refreshInterval must be at least 1m"
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// suspend stops scheduled refreshes; running Jobs finish.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// job shapes the analysis Jobs.
	// +optional
	Job *JobSettings `json:"job,omitempty"`
}

// RejectedRows counts rows rejected for one reason.
type RejectedRows struct {
	// reason is the rejection reason (malformed, missingCustomer,
	// nonPositiveAmount, gift, duplicateOrder, refund, outOfWindow,
	// belowMinAmount, aboveMaxAmount).
	Reason string `json:"reason"`
	// rows is the number of rows rejected for the reason.
	Rows int64 `json:"rows"`
}

// SegmentSummary is one segment of the last result.
type SegmentSummary struct {
	// name of the segment.
	Name string `json:"name"`
	// customers in the segment.
	Customers int64 `json:"customers"`
	// revenueShare is the segment's share of revenue, a decimal between 0
	// and 1 as a string.
	// +optional
	RevenueShare string `json:"revenueShare,omitempty"`
}

// SegmentMigration counts customers that moved between segments since the
// previous run.
type SegmentMigration struct {
	// from is the segment in the previous run ("" for new customers).
	From string `json:"from"`
	// to is the segment in this run.
	To string `json:"to"`
	// customers that moved.
	Customers int64 `json:"customers"`
}

// SegmentationModelStatus is the observed state of a SegmentationModel.
type SegmentationModelStatus struct {
	// conditions: Ready, Progressing, Degraded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the controller has
	// processed, whether its run succeeded, failed, is running or cannot
	// start (conditions say which). The generation of the served result is
	// resultGeneration.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// resultGeneration is the spec generation of the result status serves.
	// +optional
	ResultGeneration int64 `json:"resultGeneration,omitempty"`

	// retry is set while the last run failed: attempts and the next retry.
	// +optional
	Retry *RetryStatus `json:"retry,omitempty"`

	// customers analysed in the last successful run.
	// +optional
	Customers int64 `json:"customers,omitempty"`

	// transactions analysed in the last successful run.
	// +optional
	Transactions int64 `json:"transactions,omitempty"`

	// rejected counts rows dropped in the last run, by reason.
	// +optional
	// +listType=map
	// +listMapKey=reason
	Rejected []RejectedRows `json:"rejected,omitempty"`

	// segments of the last result with size and revenue share.
	// +optional
	// +listType=map
	// +listMapKey=name
	Segments []SegmentSummary `json:"segments,omitempty"`

	// migrations between the previous and the last result.
	// +optional
	// +listType=atomic
	Migrations []SegmentMigration `json:"migrations,omitempty"`

	// lastRunTime is when the last successful run finished.
	// +optional
	LastRunTime *metav1.Time `json:"lastRunTime,omitempty"`

	// lastRunName is the name of the last run's Job.
	// +optional
	LastRunName string `json:"lastRunName,omitempty"`

	// lastRunGeneration is the spec generation of the last run started; a
	// newer generation triggers a run.
	// +optional
	LastRunGeneration int64 `json:"lastRunGeneration,omitempty"`

	// nextRunTime is when refreshInterval next runs the analysis (unset while
	// suspended, or while a failed run waits for its retry).
	// +optional
	NextRunTime *metav1.Time `json:"nextRunTime,omitempty"`

	// resultConfigMap names the summary ConfigMap of the last result.
	// +optional
	ResultConfigMap string `json:"resultConfigMap,omitempty"`

	// resultLocation is where per-customer results were written, such as
	// s3://bucket/prefix/file.parquet or postgres table@run.
	// +optional
	ResultLocation string `json:"resultLocation,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=crmseg,categories=crm
// +kubebuilder:printcolumn:name="Method",type=string,JSONPath=`.spec.method.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Degraded",type=string,JSONPath=`.status.conditions[?(@.type=="Degraded")].status`
// +kubebuilder:printcolumn:name="Customers",type=integer,JSONPath=`.status.customers`
// +kubebuilder:printcolumn:name="Last Success",type=date,JSONPath=`.status.lastRunTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// SegmentationModel declares which customers are segmented, by which method,
// and where the results go.
type SegmentationModel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired model.
	// +required
	Spec SegmentationModelSpec `json:"spec"`

	// status is the observed state of the model.
	// +optional
	Status SegmentationModelStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SegmentationModelList is a list of SegmentationModels.
type SegmentationModelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the SegmentationModels.
	Items []SegmentationModel `json:"items"`
}

func init() {
	SchemeBuilder.Register(&SegmentationModel{}, &SegmentationModelList{})
}
