package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/maestro-go/maestro/maestro/groupmember"
)

// The deployment examples of docs/deploy.md must stay usable: each is
// parsed, and the grid command line each holds is checked by the grid's
// own flag parsing.
const deployDir = "../../docs/deploy"

func TestDeployConfigFileLoads(t *testing.T) {
	path := filepath.Join(deployDir, "grid.yaml")
	o, err := groupmember.LoadOptions(path)
	if err != nil {
		t.Fatal(err)
	}
	if o.Group != "grid" || o.Replicas != 3 || len(o.Seeds) != 3 || o.StateDir == "" {
		t.Fatalf("%+v", o)
	}
	if _, _, err := parseConfig([]string{"-mode", "ru", "-config", path, "-etc", t.TempDir()}, io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestDeploySystemdUnitParses(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "maestro-grid.service"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]map[string]string{}
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = line[1 : len(line)-1]
			sections[cur] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == "" {
				t.Fatalf("line %d: %q is neither a section nor key=value", n, line)
			}
			sections[cur][k] = v
		}
	}
	for _, s := range []string{"Unit", "Service", "Install"} {
		if sections[s] == nil {
			t.Fatalf("no [%s] section", s)
		}
	}
	exec := strings.Fields(sections["Service"]["ExecStart"])
	if len(exec) < 2 {
		t.Fatalf("ExecStart %q", sections["Service"]["ExecStart"])
	}
	args := exec[1:]
	for i, a := range args {
		if a == "/etc/maestro/grid.yaml" {
			args[i] = filepath.Join(deployDir, "grid.yaml")
		}
	}
	if mode, _, err := parseConfig(args, io.Discard); err != nil || mode != "ru" {
		t.Fatalf("ExecStart's flags: mode %q, %v", mode, err)
	}
}

func TestDeployKubernetesManifestsParse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "grid-statefulset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type container struct {
		Args []string `yaml:"args"`
	}
	type object struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			ClusterIP   string `yaml:"clusterIP"`
			ServiceName string `yaml:"serviceName"`
			Template    struct {
				Spec struct {
					Containers []container `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	kinds := map[string]object{}
	for {
		var o object
		if err := d.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if o.APIVersion == "" || o.Kind == "" {
			t.Fatalf("a document without apiVersion or kind: %+v", o)
		}
		kinds[o.Kind] = o
	}
	svc, sts := kinds["Service"], kinds["StatefulSet"]
	if svc.Spec.ClusterIP != "None" || sts.Spec.ServiceName == "" || len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want a headless Service and a StatefulSet of one container: %+v", kinds)
	}
	args := sts.Spec.Template.Spec.Containers[0].Args
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "$(POD_NAME)", "grid-0")
	}
	if mode, cfg, err := parseConfig(args, io.Discard); err != nil || mode != "ru" || cfg.Replicas != 3 || len(cfg.Seeds) != 1 {
		t.Fatalf("the container's flags: mode %q, %+v, %v", mode, cfg, err)
	}
}
