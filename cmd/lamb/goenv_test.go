package main

import (
	"os/exec"
	"strings"
)

func goEnvValue(key string) (string, error) {
	out, err := exec.Command("go", "env", key).Output()
	return strings.TrimSpace(string(out)), err
}
