package binsize_test

import (
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/lambctl/lamb/internal/binsize"
)

// How `lamb size --since REF` uses the package: analyze the function's
// binary from the base and the head build, diff, name the modules that grew
// most, print a table, JSON or a treemap.
func Example() {
	base, err := binsize.Analyze("base/orders/bootstrap")
	if err != nil {
		log.Fatal(err)
	}
	head, err := binsize.Analyze("head/orders/bootstrap")
	if err != nil {
		log.Fatal(err)
	}
	base.Name, head.Name = "orders", "orders"

	d := binsize.Diff(base, head)
	for _, c := range d.TopGrowth(3) {
		fmt.Printf("%s grew by %s\n", c.Path, binsize.HumanSize(c.Delta))
	}
	if err := binsize.WriteDeltaTable(os.Stdout, d, binsize.TableOptions{Packages: 10}); err != nil {
		log.Fatal(err)
	}

	f, err := os.Create("orders.svg")
	if err != nil {
		log.Fatal(err)
	}
	if err := binsize.WriteTreemap(f, base, head); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	head.DropFuncs() // -o json: modules and packages are enough
	if err := json.NewEncoder(os.Stdout).Encode(struct {
		Report *binsize.Report `json:"report"`
		Delta  binsize.Delta   `json:"delta"`
	}{head, d}); err != nil {
		log.Fatal(err)
	}
}
