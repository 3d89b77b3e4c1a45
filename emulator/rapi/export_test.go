package rapi

// ProbeZip is the path of the test function's zip, for the external tests.
func ProbeZip() string { return probeZip }
