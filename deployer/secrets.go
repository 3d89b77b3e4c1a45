package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// SSMAPI is the part of the Parameter Store API that resolves environment
// references ({ssm: NAME}).
type SSMAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretsManagerAPI is the part of the Secrets Manager API that resolves
// environment references ({secret: ID, key: KEY}).
type SecretsManagerAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var (
	_ SSMAPI            = (*ssm.Client)(nil)
	_ SecretsManagerAPI = (*secretsmanager.Client)(nil)
)

// resolver reads the values environment references point to, each
// parameter and secret once per plan. The values live in memory only:
// they go into the function's environment (CreateFunction,
// UpdateFunctionConfiguration), are compared with the live environment
// that GetFunction returns, and are hidden by the function's redactor.
type resolver struct {
	ssm     SSMAPI
	secrets SecretsManagerAPI

	mu    sync.Mutex
	cache map[string]*lookup // "ssm:NAME" or "secret:ID"
}

type lookup struct {
	once  sync.Once
	value string
	err   error
}

func (d *Deployer) newResolver() *resolver {
	return &resolver{ssm: d.opts.SSM, secrets: d.opts.SecretsManager, cache: map[string]*lookup{}}
}

// get reads key once and caches its value or error.
func (r *resolver) get(key string, read func() (string, error)) (string, error) {
	r.mu.Lock()
	l := r.cache[key]
	if l == nil {
		l = &lookup{}
		r.cache[key] = l
	}
	r.mu.Unlock()
	l.once.Do(func() { l.value, l.err = read() })
	return l.value, l.err
}

// resolve returns the value ref points to. Its errors name the reference,
// never a value.
func (r *resolver) resolve(ctx context.Context, ref manifest.EnvRef) (string, error) {
	switch {
	case ref.SSM != "":
		if r.ssm == nil {
			return "", errors.New("no Parameter Store client")
		}
		return r.get("ssm:"+ref.SSM, func() (string, error) {
			out, err := r.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref.SSM), WithDecryption: aws.Bool(true)})
			if err != nil {
				return "", err
			}
			if out.Parameter == nil || out.Parameter.Value == nil {
				return "", errors.New("the parameter has no value")
			}
			return *out.Parameter.Value, nil
		})
	case ref.Secret != "":
		if r.secrets == nil {
			return "", errors.New("no Secrets Manager client")
		}
		s, err := r.get("secret:"+ref.Secret, func() (string, error) {
			out, err := r.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.Secret)})
			if err != nil {
				return "", err
			}
			if out.SecretString == nil {
				return "", errors.New("the secret's value is binary: lamb reads SecretString only")
			}
			return *out.SecretString, nil
		})
		if err != nil || ref.Key == "" {
			return s, err
		}
		return secretKey(s, ref.Key)
	}
	return "", errors.New("the reference names no parameter and no secret")
}

// secretKey returns key of the JSON object s: a string as it is, another
// JSON value as written. Its errors never quote s.
func secretKey(s, key string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return "", errors.New("the secret's value is not a JSON object, so it has no keys")
	}
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("the secret has no key %q", key)
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str, nil
	}
	return string(bytes.TrimSpace(raw)), nil
}

// resolveEnv returns fn's environment with its references resolved. A
// failure names the variable and its reference, never a value.
func (r *resolver) resolveEnv(ctx context.Context, fn manifest.Function) (map[string]string, error) {
	env := maps.Clone(fn.Environment)
	if len(fn.EnvRefs) == 0 {
		return env, nil
	}
	if env == nil {
		env = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(fn.EnvRefs)) {
		ref := fn.EnvRefs[k]
		v, err := r.resolve(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("environment %s (%s): %w", k, ref, err)
		}
		env[k] = v
	}
	return env, nil
}

// checkEnvSize refuses fn's environment, its references resolved, when it
// is over Lambda's limit, measured as Lambda, the manifest and the local
// Lambda measure it: the variables as JSON. The manifest checks the
// literal values; only the deployer sees the resolved ones. The error
// names the size, the limit and the references, never a value.
func checkEnvSize(fn manifest.Function) error {
	b, err := json.Marshal(fn.Environment)
	if err != nil {
		return err
	}
	if len(b) <= lambdaspec.EnvironmentLimit {
		return nil
	}
	return fmt.Errorf("%d bytes as JSON once its references (%s) are resolved, more than Lambda's 4 KB limit (%d bytes): keep large values out of the environment (the function can read them itself at run time)",
		len(b), strings.Join(slices.Sorted(maps.Keys(fn.EnvRefs)), ", "), lambdaspec.EnvironmentLimit)
}
