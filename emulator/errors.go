package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error answered to the client the way Lambda answers it:
// status, X-Amzn-ErrorType header and a JSON body.
type apiError struct {
	status  int
	typ     string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: %s", e.typ, e.message) }

func (e *apiError) write(w http.ResponseWriter) {
	body := map[string]string{"Type": "User"}
	switch e.typ {
	// These two shapes spell their member "Message".
	case "ResourceNotFoundException", "ServiceException":
		body["Message"] = e.message
	default:
		body["message"] = e.message
	}
	if e.status >= 500 {
		body["Type"] = "Service"
	}
	if e.typ == "TooManyRequestsException" {
		w.Header().Set("Retry-After", "1")
		body["Reason"] = "CallerRateLimitExceeded"
	}
	w.Header().Set("X-Amzn-ErrorType", e.typ)
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Type":"Service","Message":"marshal response"}`)
		w.Header().Set("X-Amzn-ErrorType", "ServiceException")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func errf(status int, typ, format string, args ...any) *apiError {
	return &apiError{status: status, typ: typ, message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

// validationErr is AWS's constraint-violation shape.
func validationErr(value, field, constraint string) *apiError {
	return errf(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func notFound(arn string) *apiError {
	return errf(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", arn)
}

func conflictUpdating(arn string) *apiError {
	return errf(http.StatusConflict, "ResourceConflictException",
		"The operation cannot be performed at this time. An update is in progress for resource: %s", arn)
}

func conflictState(state string) *apiError {
	return errf(http.StatusConflict, "ResourceConflictException",
		"The operation cannot be performed at this time. The function is currently in the following state: %s", state)
}

func preconditionFailed() *apiError {
	return errf(http.StatusPreconditionFailed, "PreconditionFailedException",
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

func tooLarge(limit int64, op string) *apiError {
	return errf(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
		"Request must be smaller than %d bytes for the %s operation", limit, op)
}

func serviceErr(format string, args ...any) *apiError {
	return errf(http.StatusInternalServerError, "ServiceException", format, args...)
}
