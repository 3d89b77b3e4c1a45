// Package binsize tells where the bytes of a Go executable go: by section,
// by module and by package, read from the binary as lamb ships it (stripped
// with -s -w). The function table (.gopclntab) survives stripping because
// the runtime needs it, and it is enough to size each function's code and
// metadata; type descriptors are walked from the type and itab link tables;
// the build info names the modules; the code's references to data divide
// string literals and package-level variables (an estimate, kept apart as
// Sizes.Data). What cannot be attributed this way is reported as such,
// never spread over the packages.
//
// Analyze reads one binary, Diff compares two reports, WriteTable and
// WriteDeltaTable render text, and WriteTreemap draws an SVG treemap.
package binsize

// Report is the size breakdown of one executable. Field names are the JSON
// shape of `lamb size -o json` and stay stable.
type Report struct {
	// Name is a label set by the caller (a function name); Analyze leaves
	// it empty.
	Name       string `json:"name,omitempty"`
	GoVersion  string `json:"goVersion"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	MainModule string `json:"mainModule"`
	// FileSize is the size of the file. It equals Attributed plus the
	// sizes of Unattributed.
	FileSize uint64 `json:"fileSize"`
	// Attributed is the sum of the module totals.
	Attributed   uint64         `json:"attributed"`
	Sections     []Section      `json:"sections"`
	Unattributed []Unattributed `json:"unattributed"`
	// Modules are sorted by total size, largest first; the standard
	// library is the module "std".
	Modules []Module `json:"modules"`
}

// Section is an allocated ELF section.
type Section struct {
	Name string `json:"name"`
	Size uint64 `json:"size"`
	// InFile is false for sections that take memory but no file bytes
	// (.bss, .noptrbss).
	InFile bool `json:"inFile"`
	// Attributed is how many of the section's bytes belong to a package.
	Attributed uint64 `json:"attributed"`
	// Estimated is how many of those are the data estimate (Sizes.Data).
	Estimated uint64 `json:"estimated"`
}

// Unattributed is a part of the file no package is charged for.
type Unattributed struct {
	Section string `json:"section"` // "" for the ELF headers and gaps
	What    string `json:"what"`
	Size    uint64 `json:"size"`
}

// Sizes splits a module's, package's or function's bytes by what they are.
type Sizes struct {
	// Total is the sum of the other fields.
	Total uint64 `json:"total"`
	// Text is machine code (.text), as `go tool nm -size` sizes functions.
	Text uint64 `json:"text"`
	// Padding is the alignment fill after the functions' code.
	Padding uint64 `json:"padding"`
	// FuncInfo is the runtime's metadata of the functions: function table
	// entries, names, pc-value tables (stack, file, line, pcdata) and
	// funcdata (stack maps, inlining trees).
	FuncInfo uint64 `json:"funcInfo"`
	// Types is type descriptors, their names and method tables, itabs and
	// type and itab links.
	Types uint64 `json:"types"`
	// Files is the source file names in the function table.
	Files uint64 `json:"files"`
	// Data is read-only data (string literals, constant tables) and
	// package-level variables (.noptrdata, .data) that the package's code
	// refers to. An estimate: each referenced address runs to the next
	// referenced address, so data only other data points to counts with
	// the item before it.
	Data uint64 `json:"data"`
}

// Module is a module's share of the binary.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version,omitempty"`
	Sizes
	// Packages are sorted by total size, largest first.
	Packages []Package `json:"packages"`
}

// Package is a package's share of the binary.
type Package struct {
	Path string `json:"path"`
	Sizes
	// Funcs are the package's functions, largest first; empty after
	// DropFuncs.
	Funcs []Func `json:"funcs,omitempty"`
}

// Func is one function of the function table. Its Types, Files and Data
// are always zero: those belong to packages, not functions.
type Func struct {
	Name string `json:"name"`
	Sizes
}

func (s *Sizes) add(o Sizes) {
	s.Text += o.Text
	s.Padding += o.Padding
	s.FuncInfo += o.FuncInfo
	s.Types += o.Types
	s.Files += o.Files
	s.Data += o.Data
	s.Total += o.Total
}

func (s *Sizes) sum() {
	s.Total = s.Text + s.Padding + s.FuncInfo + s.Types + s.Files + s.Data
}

// DropFuncs removes the per-function lists, which the table and the diff
// do not need and which make JSON large.
func (r *Report) DropFuncs() {
	for i := range r.Modules {
		for j := range r.Modules[i].Packages {
			r.Modules[i].Packages[j].Funcs = nil
		}
	}
}

// Module returns the module with the path, or nil.
func (r *Report) Module(path string) *Module {
	for i := range r.Modules {
		if r.Modules[i].Path == path {
			return &r.Modules[i]
		}
	}
	return nil
}

// Section returns the section with the name, or nil.
func (r *Report) Section(name string) *Section {
	for i := range r.Sections {
		if r.Sections[i].Name == name {
			return &r.Sections[i]
		}
	}
	return nil
}

// UnattributedSize is the sum of the unattributed parts.
func (r *Report) UnattributedSize() uint64 {
	var n uint64
	for _, u := range r.Unattributed {
		n += u.Size
	}
	return n
}
