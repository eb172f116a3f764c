package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContentType says what a DataSource holds.
// +kubebuilder:validation:Enum=Transactions;Campaigns
type ContentType string

// Content types a DataSource may hold.
const (
	// ContentTransactions are order lines: who bought what, when, for how much.
	ContentTransactions ContentType = "Transactions"
	// ContentCampaigns are campaign contacts used for response rate and ROI.
	ContentCampaigns ContentType = "Campaigns"
)

// FileFormat is the encoding of a file in an object store.
// +kubebuilder:validation:Enum=csv;parquet
type FileFormat string

// File formats.
const (
	FormatCSV     FileFormat = "csv"
	FormatParquet FileFormat = "parquet"
)

// Compression is the compression of a CSV stream.
// +kubebuilder:validation:Enum=none;gzip
type Compression string

// Compressions.
const (
	CompressionNone Compression = "none"
	CompressionGzip Compression = "gzip"
)

// DataSourceSpec declares where customer data lives and how its columns map.
// +kubebuilder:validation:XValidation:rule="[has(self.postgres), has(self.objectStore), has(self.http), has(self.configMap), has(self.sample)].filter(b, b).size() == 1",message="exactly one backend must be set: postgres, objectStore, http, configMap or sample"
// +kubebuilder:validation:XValidation:rule="!has(self.csv) || has(self.http) || has(self.configMap) || (has(self.objectStore) && self.objectStore.format == 'csv')",message="csv options apply only to the http and configMap backends and to objectStore with format csv",fieldPath=".csv"
// +kubebuilder:validation:XValidation:rule="has(self.sample) || has(self.schema)",message="schema (the column mapping) is required for every backend except sample",fieldPath=".schema"
// +kubebuilder:validation:XValidation:rule="!has(self.schema) || self.content != 'Transactions' || has(self.schema.transactions)",message="schema.transactions is required when content is Transactions",fieldPath=".schema"
// +kubebuilder:validation:XValidation:rule="!has(self.schema) || self.content != 'Campaigns' || has(self.schema.campaigns)",message="schema.campaigns is required when content is Campaigns",fieldPath=".schema"
// +kubebuilder:validation:XValidation:rule="!has(self.schema) || !has(self.schema.transactions) || !has(self.schema.campaigns)",message="schema: set only the mapping block that matches content (transactions or campaigns)",fieldPath=".schema"
type DataSourceSpec struct {
	// content says what the source holds: Transactions (order lines, the
	// default) or Campaigns (who was contacted when, in which campaign and at
	// what cost, used by the KPI report for response rate and ROI, joined to
	// transactions by customer ID).
	// +optional
	// +kubebuilder:default=Transactions
	Content ContentType `json:"content,omitempty"`

	// postgres reads rows from a PostgreSQL-protocol database (PostgreSQL,
	// Citus, Redshift, ...). Per-customer aggregation is pushed down into SQL.
	// Exactly one backend must be set.
	// +optional
	Postgres *PostgresSource `json:"postgres,omitempty"`

	// objectStore reads CSV or Parquet files from an S3-compatible bucket.
	// Exactly one backend must be set.
	// +optional
	ObjectStore *ObjectStoreSource `json:"objectStore,omitempty"`

	// http reads CSV over HTTP(S). Exactly one backend must be set.
	// +optional
	HTTP *HTTPSource `json:"http,omitempty"`

	// configMap reads small CSV data from a key of a ConfigMap in the same
	// namespace. Exactly one backend must be set.
	// +optional
	ConfigMap *ConfigMapSource `json:"configMap,omitempty"`

	// sample generates seeded synthetic shop data, so examples work with
	// nothing else installed. Its columns are fixed; schema is not needed.
	// Exactly one backend must be set.
	// +optional
	Sample *SampleSource `json:"sample,omitempty"`

	// csv describes the CSV dialect of the http and configMap backends and of
	// objectStore files with format csv.
	// +optional
	CSV *CSVOptions `json:"csv,omitempty"`

	// schema maps source columns to the fields crmlens needs. Set the block
	// that matches content. Required for every backend except sample. Columns
	// missing from the actual data are reported by the reconciler as
	// Ready=False with reason SchemaMismatch.
	// +optional
	Schema *SchemaMapping `json:"schema,omitempty"`

	// timestamp says how timestamp and date columns are written.
	// +optional
	Timestamp *TimestampFormat `json:"timestamp,omitempty"`

	// currency is the ISO 4217 code of amounts in this source, such as USD or
	// EUR. A model or schedule whose transaction sources declare different
	// currencies does not run (Degraded=True, reason CurrencyMismatch).
	// +optional
	// +kubebuilder:default=USD
	// +kubebuilder:validation:Pattern=`^[A-Z]{3}$`
	Currency string `json:"currency,omitempty"`

	// probeInterval is how often the reconciler checks that the source is
	// reachable and its columns match the schema, as a Go duration such as
	// "10m" or "1h30m".
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) >= duration('10s')",message="probeInterval must be at least 10s"
	ProbeInterval *metav1.Duration `json:"probeInterval,omitempty"`
}

// PostgresConnection says how to connect to a PostgreSQL-protocol server.
// Credentials are always read from a Secret and reach the Job only through
// secretKeyRef environment variables.
// +kubebuilder:validation:XValidation:rule="has(self.secretRef.uriKey) || (has(self.host) && has(self.database))",message="host and database: required unless secretRef.uriKey names a Secret key holding a postgres:// URI"
// +kubebuilder:validation:XValidation:rule="!has(self.caSecretRef) || !has(self.sslMode) || self.sslMode != 'disable'",message="caSecretRef needs TLS: sslMode disable uses no certificate",fieldPath=".caSecretRef"
type PostgresConnection struct {
	// secretRef names the Secret holding the credentials, and which keys hold
	// what.
	// +required
	SecretRef PostgresSecretRef `json:"secretRef"`

	// host is the server's DNS name or IP address. Not needed when the Secret
	// holds a full URI (secretRef.uriKey).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$`
	Host string `json:"host,omitempty"`

	// port is the server's TCP port.
	// +optional
	// +kubebuilder:default=5432
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// database is the database name. Not needed when the Secret holds a URI.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Database string `json:"database,omitempty"`

	// sslMode is libpq's sslmode, restricted to the modes that never fall back
	// to plaintext silently: verify-full (default: TLS, certificate and host
	// name checked), verify-ca (certificate checked, host name not), require
	// (TLS without verification, which an explicit choice makes visible) or
	// disable (no TLS).
	// +optional
	// +kubebuilder:default=verify-full
	// +kubebuilder:validation:Enum=disable;require;verify-ca;verify-full
	SSLMode string `json:"sslMode,omitempty"`

	// caSecretRef names a Secret key holding the PEM CA certificates that
	// sign the server's certificate, for servers with a private CA. They
	// replace the system CA bundle for this connection; sslMode verify-full
	// and verify-ca check the chain against them (require does too, as libpq
	// does when given a root certificate). Unset: the image's system bundle.
	// +optional
	CASecretRef *CASecretRef `json:"caSecretRef,omitempty"`

	// statementTimeout bounds every statement crmlens sends on this
	// connection (PostgreSQL's statement_timeout), as a Go duration such as
	// "15m"; a longer scan fails with reason Timeout. Unset leaves the
	// server's setting in force (for example ALTER ROLE ... SET
	// statement_timeout), which crmlens then does not override.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) >= duration('1s')",message="statementTimeout must be at least 1s"
	StatementTimeout *metav1.Duration `json:"statementTimeout,omitempty"`
}

// CASecretRef selects the Secret key holding PEM-encoded CA certificates
// (one or more "-----BEGIN CERTIFICATE-----" blocks), such as the ca.crt key
// of a cert-manager certificate Secret. The bundle reaches the Job only
// through a secretKeyRef environment variable, so keep it to the CAs needed
// (Linux bounds one variable to 128 KiB).
type CASecretRef struct {
	// name of the Secret in the same namespace (a DNS-1123 subdomain).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// key within the Secret's data holding the PEM bundle.
	// +optional
	// +kubebuilder:default=ca.crt
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key,omitempty"`
}

// PostgresSecretRef names a Secret and the keys that hold connection
// credentials.
type PostgresSecretRef struct {
	// name of the Secret in the same namespace (a DNS-1123 subdomain).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// uriKey is the key holding a complete postgres:// connection URI. When
	// set, host, port, database and the user and password keys are taken from
	// the URI.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	URIKey string `json:"uriKey,omitempty"`

	// userKey is the key holding the user name.
	// +optional
	// +kubebuilder:default=username
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	UserKey string `json:"userKey,omitempty"`

	// passwordKey is the key holding the password.
	// +optional
	// +kubebuilder:default=password
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	PasswordKey string `json:"passwordKey,omitempty"`
}

// PostgresSource reads a table or the result of a query.
// +kubebuilder:validation:XValidation:rule="has(self.table) != has(self.query)",message="postgres: set exactly one of table or query"
type PostgresSource struct {
	PostgresConnection `json:",inline"`

	// table to read, optionally schema-qualified, such as "sales.orders".
	// +optional
	// +kubebuilder:validation:MaxLength=127
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`
	Table string `json:"table,omitempty"`

	// query is a read-only SELECT whose result columns are mapped by schema.
	// It is wrapped as a subquery so per-customer aggregation runs in the
	// database.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Query string `json:"query,omitempty"`
}

// ObjectStoreConnection says how to reach an S3-compatible bucket.
// +kubebuilder:validation:XValidation:rule="!has(self.caSecretRef) || !has(self.insecureSkipVerify) || !self.insecureSkipVerify",message="set at most one of caSecretRef (verify against a private CA) and insecureSkipVerify (no verification)",fieldPath=".caSecretRef"
type ObjectStoreConnection struct {
	// endpoint is the S3 API URL, such as https://minio.storage:9000. Empty
	// means AWS S3 in region.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/.*)?$`
	Endpoint string `json:"endpoint,omitempty"`

	// region of the bucket.
	// +optional
	// +kubebuilder:default=us-east-1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	Region string `json:"region,omitempty"`

	// bucket name: 3 to 63 lower-case letters, digits, '.' and '-'.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`
	Bucket string `json:"bucket"`

	// pathStyle addresses the bucket as endpoint/bucket instead of
	// bucket.endpoint, as most self-hosted S3 servers need.
	// +optional
	PathStyle bool `json:"pathStyle,omitempty"`

	// insecureSkipVerify disables TLS certificate verification. Only for
	// test setups.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`

	// caSecretRef names a Secret key holding the PEM CA certificates that
	// sign an https endpoint's certificate, for stores with a private CA.
	// They replace the system CA bundle for this endpoint. Unset: the
	// image's system bundle.
	// +optional
	CASecretRef *CASecretRef `json:"caSecretRef,omitempty"`

	// credentialsSecretRef names the Secret with the access keys. Unset means
	// the Job's ambient credentials (for example IRSA).
	// +optional
	CredentialsSecretRef *S3CredentialsRef `json:"credentialsSecretRef,omitempty"`
}

// S3CredentialsRef names a Secret and the keys holding S3 credentials.
type S3CredentialsRef struct {
	// name of the Secret in the same namespace (a DNS-1123 subdomain).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// accessKeyIDKey is the key holding the access key ID.
	// +optional
	// +kubebuilder:default=AWS_ACCESS_KEY_ID
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	AccessKeyIDKey string `json:"accessKeyIDKey,omitempty"`

	// secretAccessKeyKey is the key holding the secret access key.
	// +optional
	// +kubebuilder:default=AWS_SECRET_ACCESS_KEY
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	SecretAccessKeyKey string `json:"secretAccessKeyKey,omitempty"`

	// sessionTokenKey is the key holding a session token, if any.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	SessionTokenKey string `json:"sessionTokenKey,omitempty"`
}

// ObjectStoreSource reads one object or every object under a prefix.
// +kubebuilder:validation:XValidation:rule="has(self.key) != has(self.prefix)",message="objectStore: set exactly one of key (one object) or prefix (every object under it)"
// +kubebuilder:validation:XValidation:rule="self.format == 'csv' || self.compression == 'none'",message="compression gzip applies only to format csv; Parquet files carry their own compression",fieldPath=".compression"
type ObjectStoreSource struct {
	ObjectStoreConnection `json:",inline"`

	// key of the single object to read.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Key string `json:"key,omitempty"`

	// prefix under which every object is read, in lexical order.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Prefix string `json:"prefix,omitempty"`

	// format of the objects: csv or parquet.
	// +optional
	// +kubebuilder:default=csv
	Format FileFormat `json:"format,omitempty"`

	// compression of CSV objects: none or gzip.
	// +optional
	// +kubebuilder:default=none
	Compression Compression `json:"compression,omitempty"`
}

// HTTPSource reads CSV from an HTTP(S) URL.
// +kubebuilder:validation:XValidation:rule="!has(self.caSecretRef) || !has(self.insecureSkipVerify) || !self.insecureSkipVerify",message="set at most one of caSecretRef (verify against a private CA) and insecureSkipVerify (no verification)",fieldPath=".caSecretRef"
type HTTPSource struct {
	// url of the CSV document, http:// or https://.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/\S*)?$`
	URL string `json:"url"`

	// headersSecretRef names a Secret whose key "headers" holds the request
	// headers to send, one "Name: value" per line (for example
	// "Authorization: Bearer ..."). Header values never appear in logs,
	// status or errors.
	// +optional
	HeadersSecretRef *LocalObjectReference `json:"headersSecretRef,omitempty"`

	// timeout bounds the whole download, as a Go duration.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// maxBytes bounds the size of the download; larger responses fail the run
	// instead of exhausting memory.
	// +optional
	// +kubebuilder:default=1073741824
	// +kubebuilder:validation:Minimum=1
	MaxBytes int64 `json:"maxBytes,omitempty"`

	// compression of the response body: none or gzip.
	// +optional
	// +kubebuilder:default=none
	Compression Compression `json:"compression,omitempty"`

	// insecureSkipVerify disables TLS certificate verification. Only for
	// test setups.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`

	// caSecretRef names a Secret key holding the PEM CA certificates that
	// sign an https server's certificate, for servers with a private CA.
	// They replace the system CA bundle for this URL. Unset: the image's
	// system bundle.
	// +optional
	CASecretRef *CASecretRef `json:"caSecretRef,omitempty"`
}

// ConfigMapSource reads CSV from one key of a ConfigMap.
type ConfigMapSource struct {
	// name of the ConfigMap in the same namespace (a DNS-1123 subdomain).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// key within the ConfigMap's data holding the CSV text.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// SampleSource generates a reproducible synthetic shop: customers with
// seasonal purchases over several channels and categories, gifts, refunds
// and a few malformed rows, so cleaning rules have something to do.
type SampleSource struct {
	// customers is the number of synthetic customers.
	// +optional
	// +kubebuilder:default=1000
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	Customers int32 `json:"customers,omitempty"`

	// seed makes the data reproducible: the same seed gives the same rows.
	// +optional
	// +kubebuilder:default=42
	Seed int64 `json:"seed,omitempty"`

	// months of history to generate, ending at the current month.
	// +optional
	// +kubebuilder:default=24
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=120
	Months int32 `json:"months,omitempty"`
}

// CSVOptions describe a CSV dialect.
type CSVOptions struct {
	// delimiter separates fields: a single one-byte character such as ","
	// ";" "|" or a tab (not CR, LF, NUL or the double quote), or the word
	// "whitespace" for runs of spaces and tabs (as in the CDNOW files).
	// +optional
	// +kubebuilder:default=","
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:XValidation:rule="self == 'whitespace' || (bytes(self).size() == 1 && !(self in ['\\r', '\\n', '\\x22', '\\x00']))",message="csv.delimiter must be one single-byte (ASCII) character other than CR, LF, NUL and the double quote, such as \",\" \";\" \"|\" or a tab, or the word \"whitespace\""
	Delimiter string `json:"delimiter,omitempty"`

	// header says whether the first line names the columns. Without a header,
	// schema columns are 1-based column numbers such as "3".
	// +optional
	// +kubebuilder:default=true
	Header *bool `json:"header,omitempty"`

	// thousandsSeparator is removed from amounts before parsing, such as ","
	// in "1,299.00". The decimal separator is always ".".
	// +optional
	// +kubebuilder:validation:Enum=",";"'";" ";"_"
	ThousandsSeparator string `json:"thousandsSeparator,omitempty"`
}

// TimestampFormat says how timestamps are written.
type TimestampFormat struct {
	// layout is a Go reference layout such as "2006-01-02 15:04:05" or
	// "20060102", or one of Auto (the default: each value is read as RFC
	// 3339 with an offset, "2006-01-02 15:04:05" or "2006-01-02T15:04:05"
	// and "2006-01-02" in timeZone, "20060102", or Unix seconds), RFC3339
	// (date and time with a zone offset such as Z or +02:00, optional
	// fractional seconds; a space may replace the T; values without an
	// offset are refused), Unix (integer seconds) or UnixMilli (integer
	// milliseconds). Names are case-sensitive. A layout that does not parse
	// the data is reported at probe time as Ready=False, reason
	// SchemaMismatch. Postgres sources ignore it: their time column is typed.
	// +optional
	// +kubebuilder:default=Auto
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Layout string `json:"layout,omitempty"`

	// timeZone is the IANA time zone of timestamps without an offset, such as
	// "Europe/Berlin". An unknown name is reported by the reconciler as
	// Ready=False, reason InvalidTimeZone.
	// +optional
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+\-/]*$`
	TimeZone string `json:"timeZone,omitempty"`
}

// SchemaMapping maps source columns per content type. Set only the block
// matching spec.content.
type SchemaMapping struct {
	// transactions maps order-line columns (content Transactions).
	// +optional
	Transactions *TransactionColumns `json:"transactions,omitempty"`

	// campaigns maps campaign contact columns (content Campaigns).
	// +optional
	Campaigns *CampaignColumns `json:"campaigns,omitempty"`
}

// TransactionColumns maps the columns of order lines.
// +kubebuilder:validation:XValidation:rule="has(self.amount) != has(self.unitPrice)",message="set exactly one of amount (the line amount) and unitPrice (with quantity: amount = quantity × unitPrice)"
// +kubebuilder:validation:XValidation:rule="!has(self.unitPrice) || has(self.quantity)",message="unitPrice needs quantity: the line amount is quantity × unitPrice",fieldPath=".unitPrice"
type TransactionColumns struct {
	// customerID is the column holding the customer ID.
	// +required
	CustomerID ColumnName `json:"customerID"`
	// orderID is the column holding the order ID. Without it every row is an
	// order of its own and duplicate detection is off.
	// +optional
	OrderID ColumnName `json:"orderID,omitempty"`
	// timestamp is the column holding the purchase time (see spec.timestamp).
	// +required
	Timestamp ColumnName `json:"timestamp"`
	// amount is the column holding the line amount; negative amounts are
	// refunds. Set amount or unitPrice, not both.
	// +optional
	Amount ColumnName `json:"amount,omitempty"`
	// unitPrice is the column holding the unit price, for order-line
	// exports without a line amount: the amount is quantity × unitPrice,
	// computed exactly as a decimal (in SQL for a postgres source). Needs
	// quantity; excludes amount.
	// +optional
	UnitPrice ColumnName `json:"unitPrice,omitempty"`
	// channel is the column holding the sales channel (web, store, app...).
	// +optional
	Channel ColumnName `json:"channel,omitempty"`
	// category is the column holding the product category.
	// +optional
	Category ColumnName `json:"category,omitempty"`
	// product is the column holding the product ID or name.
	// +optional
	Product ColumnName `json:"product,omitempty"`
	// quantity is the column holding the number of items; a negative
	// quantity is a return (it follows the model's cleaning.refunds rule).
	// +optional
	Quantity ColumnName `json:"quantity,omitempty"`
	// gift is the column holding a gift flag (true/false, 1/0, yes/no).
	// +optional
	Gift ColumnName `json:"gift,omitempty"`
}

// CampaignColumns maps the columns of campaign contacts.
type CampaignColumns struct {
	// customerID is the column holding the contacted customer's ID.
	// +required
	CustomerID ColumnName `json:"customerID"`
	// campaign is the column holding the campaign ID or name; the KPI report
	// gives each campaign's figures (kpi.campaigns in the result).
	// +required
	Campaign ColumnName `json:"campaign"`
	// contactedAt is the column holding the contact time.
	// +required
	ContactedAt ColumnName `json:"contactedAt"`
	// cost is the column holding the cost of the contact, for ROI.
	// +optional
	Cost ColumnName `json:"cost,omitempty"`
}

// DataSourceStatus is the observed state of a DataSource.
type DataSourceStatus struct {
	// conditions: Ready (reasons Connected, SecretNotFound, Unreachable,
	// SchemaMismatch, InvalidTimeZone, NotImplemented, ...).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the last probe checked.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// retry is set while the probe fails: a failed probe is repeated with
	// backoff (at most every probeInterval) instead of waiting a full
	// probeInterval, so models waiting for the source run soon after it
	// recovers.
	// +optional
	Retry *RetryStatus `json:"retry,omitempty"`

	// probe is what the last successful probe found.
	// +optional
	Probe *ProbeStatus `json:"probe,omitempty"`

	// lastRead is what the last successful run that read this source read.
	// +optional
	LastRead *SourceRead `json:"lastRead,omitempty"`

	// lastProbeTime is when the source was last checked.
	// +optional
	LastProbeTime *metav1.Time `json:"lastProbeTime,omitempty"`
}

// ProbeStatus is what a probe can know cheaply about a source.
type ProbeStatus struct {
	// sampledRows is how many rows the probe read (at most 100; none for
	// PostgreSQL, whose probe checks the columns without reading rows).
	// +optional
	SampledRows int64 `json:"sampledRows,omitempty"`
	// columnsFound are the mapped schema columns the source has.
	// +optional
	// +listType=atomic
	ColumnsFound []string `json:"columnsFound,omitempty"`
	// oldestSampled is the earliest timestamp of the sampled rows.
	// +optional
	OldestSampled *metav1.Time `json:"oldestSampled,omitempty"`
	// newestSampled is the latest timestamp of the sampled rows.
	// +optional
	NewestSampled *metav1.Time `json:"newestSampled,omitempty"`
	// estimatedRows is PostgreSQL's planner estimate of the table's or
	// query's rows (from EXPLAIN; no scan).
	// +optional
	EstimatedRows *int64 `json:"estimatedRows,omitempty"`
}

// SourceRead is what a run read from a source.
type SourceRead struct {
	// rows read by the run from this source (before cleaning).
	// +optional
	Rows int64 `json:"rows,omitempty"`
	// time the run finished.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
	// run is the Job name of the run, as "Kind/namespace/name".
	// +optional
	Run string `json:"run,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=crmds,categories=crm
// +kubebuilder:printcolumn:name="Content",type=string,JSONPath=`.spec.content`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Rows",type=integer,JSONPath=`.status.lastRead.rows`
// +kubebuilder:printcolumn:name="Last Read",type=date,JSONPath=`.status.lastRead.time`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// DataSource declares where customer transactions (or campaign contacts)
// live and how their columns map.
type DataSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired source.
	// +required
	Spec DataSourceSpec `json:"spec"`

	// status is the observed state of the source.
	// +optional
	Status DataSourceStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DataSourceList is a list of DataSources.
type DataSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the DataSources.
	Items []DataSource `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DataSource{}, &DataSourceList{})
}
