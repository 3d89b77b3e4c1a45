package awsjson

// The local Lambda's defaults, which its neighbour services share so that
// every ARN agrees.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
)

// Defaults fills an empty region and account with DefaultRegion and
// DefaultAccountID.
func Defaults(region, accountID *string) {
	if *region == "" {
		*region = DefaultRegion
	}
	if *accountID == "" {
		*accountID = DefaultAccountID
	}
}
