// Command pricing quotes a gross price from a net price and the tax rate
// of a region. The rates live in config/rates.json, shipped in the zip
// through the manifest's files: entry and read at cold start from
// $LAMBDA_TASK_ROOT/config/rates.json (falling back to the directory of
// the executable). Event: {"net": "10.00", "region": "eu"}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"example.com/money"
	"github.com/aws/aws-lambda-go/lambda"
)

// Rates is config/rates.json.
type Rates struct {
	Currency       string           `json:"currency"`
	DefaultRegion  string           `json:"defaultRegion"`
	TaxBasisPoints map[string]int64 `json:"taxBasisPoints"`
}

// Request is the pricing event.
type Request struct {
	Net    string `json:"net"`
	Region string `json:"region,omitempty"`
}

// Quote is the answer.
type Quote struct {
	Net      string `json:"net"`
	Gross    string `json:"gross"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	Source   string `json:"ratesFile"`
}

// ratesPath finds config/rates.json in $LAMBDA_TASK_ROOT, else next to the
// executable.
func ratesPath() (string, error) {
	var dirs []string
	if root := os.Getenv("LAMBDA_TASK_ROOT"); root != "" {
		dirs = append(dirs, root)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "config", "rates.json")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("pricing: config/rates.json not found in %v", dirs)
}

func loadRates() (Rates, string, error) {
	p, err := ratesPath()
	if err != nil {
		return Rates{}, "", err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Rates{}, "", fmt.Errorf("pricing: %w", err)
	}
	var r Rates
	if err := json.Unmarshal(b, &r); err != nil {
		return Rates{}, "", fmt.Errorf("pricing: %s: %w", p, err)
	}
	return r, p, nil
}

type handler struct {
	rates Rates
	path  string
}

func (h *handler) quote(req Request) (Quote, error) {
	net, err := money.Parse(req.Net)
	if err != nil {
		return Quote{}, fmt.Errorf("pricing: net: %w", err)
	}
	region := req.Region
	if region == "" {
		region = h.rates.DefaultRegion
	}
	bps, ok := h.rates.TaxBasisPoints[region]
	if !ok {
		return Quote{}, fmt.Errorf("pricing: unknown region %q", region)
	}
	return Quote{
		Net:      net.String(),
		Gross:    net.ApplyRate(bps).String(),
		Region:   region,
		Currency: h.rates.Currency,
		Source:   filepath.Base(filepath.Dir(h.path)) + "/" + filepath.Base(h.path),
	}, nil
}

func (h *handler) handle(ctx context.Context, req Request) (Quote, error) {
	return h.quote(req)
}

func main() {
	rates, path, err := loadRates()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	h := &handler{rates: rates, path: path}
	lambda.Start(h.handle)
}
