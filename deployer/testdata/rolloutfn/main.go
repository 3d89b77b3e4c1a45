// Command rolloutfn is the function the deployer's rollout tests deploy: a
// real aws-lambda-go handler whose behaviour is the file "mode" next to it
// in the zip: "ok" answers, "broken" fails every invoke, "flaky" fails every
// invoke but the smoke event ({"smoke": true}).
package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Smoke bool `json:"smoke"`
}

func main() {
	b, _ := os.ReadFile(filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), "mode"))
	mode := strings.TrimSpace(string(b))
	lambda.Start(func(_ context.Context, e event) (map[string]any, error) {
		if mode == "broken" || mode == "flaky" && !e.Smoke {
			return nil, errors.New("rolloutfn: failing on purpose (" + mode + ")")
		}
		return map[string]any{"ok": true, "mode": mode}, nil
	})
}
