package emulator

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/lambctl/lamb/internal/lambdaspec"
)

// AWS limits (lambda-api.md §4); the quotas lamb shares are lambdaspec's.
const (
	maxZipFile        = lambdaspec.DirectUploadLimit
	maxCreateBody     = 70_167_211
	maxUnzipped       = lambdaspec.UnzippedLimit
	maxEnvBytes       = lambdaspec.EnvironmentLimit
	maxInvokePayload  = lambdaspec.SyncPayloadLimit
	maxTags           = lambdaspec.MaxTags
	maxDescription    = 256
	functionNameRegex = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	roleRegex         = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
	aliasRegex        = `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`
)

var (
	reName      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	reQualifier = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]{1,128})$`)
	reRole      = regexp.MustCompile(`^` + roleRegex + `$`)
	reAlias     = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	reDigits    = regexp.MustCompile(`^[0-9]+$`)
	reEnvKey    = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
)

var runtimes = []string{
	"nodejs18.x", "nodejs20.x", "nodejs22.x", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
	"java8.al2", "java11", "java17", "java21", "dotnet8", "ruby3.2", "ruby3.3", "ruby3.4", "provided.al2", "provided.al2023",
}

var deprecatedRuntimes = []string{
	"go1.x", "provided", "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
	"python2.7", "python3.6", "python3.7", "python3.8", "java8", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
	"dotnet6", "ruby2.5", "ruby2.7",
}

func validateRuntime(rt string) *apiError {
	switch {
	case slices.Contains(runtimes, rt):
		return nil
	case slices.Contains(deprecatedRuntimes, rt):
		return invalidParam("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", rt)
	}
	return validationErr(rt, "runtime", "Member must satisfy enum value set: ["+strings.Join(runtimes, ", ")+"]")
}

func validateRole(role string) *apiError {
	if !reRole.MatchString(role) {
		return validationErr(role, "role", "Member must satisfy regular expression pattern: "+roleRegex)
	}
	return nil
}

func validateMemory(m int) *apiError {
	if m < lambdaspec.MinMemory {
		return validationErr(fmt.Sprint(m), "memorySize", fmt.Sprintf("Member must have value greater than or equal to %d", lambdaspec.MinMemory))
	}
	if m > lambdaspec.MaxMemory {
		return validationErr(fmt.Sprint(m), "memorySize", fmt.Sprintf("Member must have value less than or equal to %d", lambdaspec.MaxMemory))
	}
	return nil
}

func validateTimeout(t int) *apiError {
	if t < lambdaspec.MinTimeout {
		return validationErr(fmt.Sprint(t), "timeout", fmt.Sprintf("Member must have value greater than or equal to %d", lambdaspec.MinTimeout))
	}
	if t > lambdaspec.MaxTimeout {
		return validationErr(fmt.Sprint(t), "timeout", fmt.Sprintf("Member must have value less than or equal to %d", lambdaspec.MaxTimeout))
	}
	return nil
}

func validateArchitectures(a []string) *apiError {
	v := "[" + strings.Join(a, ", ") + "]"
	if len(a) != 1 {
		return validationErr(v, "architectures", "Member must have length less than or equal to 1, Member must have length greater than or equal to 1")
	}
	if _, ok := lambdaspec.GOARCH(a[0]); !ok {
		return validationErr(v, "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: ["+strings.Join(lambdaspec.Architectures, ", ")+"]]")
	}
	return nil
}

func validateDescription(d string) *apiError {
	if len(d) > maxDescription {
		return validationErr(d, "description", "Member must have length less than or equal to 256")
	}
	return nil
}

func validateHandler(h string) *apiError {
	if len(h) > 128 || strings.ContainsAny(h, " \t\n") {
		return validationErr(h, "handler", `Member must satisfy regular expression pattern: [^\s]+`)
	}
	return nil
}

// validateEnv checks keys and the 4 KB limit. Values never appear in errors.
func validateEnv(env map[string]string) *apiError {
	var reserved []string
	for k := range env {
		if !reEnvKey.MatchString(k) {
			return errf(http.StatusBadRequest, "ValidationException",
				"1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		if slices.Contains(lambdaspec.ReservedEnv, k) {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		slices.Sort(reserved)
		return invalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	b, _ := json.Marshal(env)
	if len(b) > maxEnvBytes {
		// AWS appends the measured string; it holds the values, so it is left out.
		return invalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d bytes", len(b))
	}
	return nil
}

func validateTags(tags map[string]string) *apiError {
	if len(tags) > maxTags {
		return invalidParam("Tag limit exceeded: a function can have at most %d tags", maxTags)
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 {
			return validationErr(k, "tags", "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
		}
		if len(v) > 256 {
			return validationErr(k, "tags", "Map value must satisfy constraint: [Member must have length less than or equal to 256]")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParam("Tag keys starting with 'aws:' are reserved for AWS use: %s", k)
		}
	}
	return nil
}

func validateAliasName(n string) *apiError {
	if !reAlias.MatchString(n) || reDigits.MatchString(n) {
		return validationErr(n, "name", "Member must satisfy regular expression pattern: "+aliasRegex)
	}
	return nil
}

// inspectZip checks an upload the way Lambda does, from the zip headers. It
// reports whether the archive has a bootstrap at its root.
func inspectZip(b []byte) (bootstrap bool, err *apiError) {
	zr, zerr := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if zerr != nil {
		return false, invalidParam("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.Name == "bootstrap" {
			bootstrap = true
		}
	}
	if total >= maxUnzipped {
		return false, invalidParam("Unzipped size must be smaller than %d bytes", maxUnzipped)
	}
	return bootstrap, nil
}

func (c *config) codeHex() string { return hexOf(c.CodeSha256) }

// hexOf turns a CodeSha256 (base64) into the hex name of its stored zip.
func hexOf(codeSha256 string) string {
	b, err := base64.StdEncoding.DecodeString(codeSha256)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(b)
}
