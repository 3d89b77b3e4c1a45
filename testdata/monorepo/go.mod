module example.com/shop

go 1.26

require (
	example.com/money v0.0.0
	github.com/aws/aws-lambda-go v1.55.1
)

replace example.com/money => ./lib/money
