package cloudwatch

import (
	"fmt"
	"net/http"
)

// apiError is an error answered to the client. shape is the error's Smithy
// shape name (rpcv2Cbor's __type, the SDK's typed error); code is its
// awsQueryError code (the query protocol's Code, and rpcv2Cbor's
// X-Amzn-Query-Error header, which the SDK reports as ErrorCode()).
type apiError struct {
	status  int
	shape   string
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: %s", e.code, e.message) }

// fault is "Sender" for client errors, "Receiver" for server errors.
func (e *apiError) fault() string {
	if e.status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// The error shapes and their awsQueryError codes and statuses are
// CloudWatch's model (service/cloudwatch schemas, awsQueryError traits).

func invalidParam(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", "InvalidParameterValue", fmt.Sprintf(format, args...)}
}

func missingParam(name string) *apiError {
	return &apiError{http.StatusBadRequest, "MissingRequiredParameterException", "MissingParameter",
		fmt.Sprintf("The parameter %s is required.", name)}
}

func invalidCombination(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterCombinationException", "InvalidParameterCombination", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFound", "ResourceNotFound", fmt.Sprintf(format, args...)}
}

func invalidNextToken() *apiError {
	return &apiError{http.StatusBadRequest, "InvalidNextToken", "InvalidNextToken", "The service couldn't process the NextToken."}
}

func invalidFormat(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidFormatFault", "InvalidFormat", fmt.Sprintf(format, args...)}
}

func limitExceeded(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "LimitExceededFault", "LimitExceeded", fmt.Sprintf(format, args...)}
}

func internalErr(format string, args ...any) *apiError {
	return &apiError{http.StatusInternalServerError, "InternalServiceFault", "InternalServiceError", fmt.Sprintf(format, args...)}
}

// validationErr is AWS's constraint-violation message.
func validationErr(value, field, constraint string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", "ValidationError",
		fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)}
}

// Errors outside CloudWatch's model: the protocol's own. The SDK reports
// them as smithy.GenericAPIError with this code.

func serializationErr(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", fmt.Sprintf(format, args...)}
}

func unknownOperation(op string) *apiError {
	return &apiError{http.StatusBadRequest, "UnknownOperationException", "InvalidAction",
		fmt.Sprintf("The action %s is not valid for this web service.", op)}
}

func tooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge",
		fmt.Sprintf("Request size exceeded %d bytes", limit)}
}
