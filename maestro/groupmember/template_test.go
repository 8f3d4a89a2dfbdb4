package groupmember

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
)

// TestDefaultConfigLoadsAndNamesEveryOption: the template decodes
// strictly, its uncommented options are the defaults, and it names every
// YAML key of Options and stack.Config (a new option must be documented
// in it).
func TestDefaultConfigLoadsAndNamesEveryOption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "member.yaml")
	require.NoError(t, os.WriteFile(path, []byte(DefaultConfig), 0o644))
	o, err := LoadOptions(path)
	require.NoError(t, err)
	require.Equal(t, Options{Group: "mygroup"}, o)

	// Uncommenting every option must still decode.
	uncommented := regexp.MustCompile(`(?m)^(\s*)# ([a-z_]+:)`).ReplaceAllString(DefaultConfig, "$1$2")
	require.NoError(t, os.WriteFile(path, []byte(uncommented), 0o644))
	_, err = LoadOptions(path)
	require.NoError(t, err, "the template with every option uncommented:\n%s", uncommented)

	for _, typ := range []reflect.Type{reflect.TypeFor[Options](), reflect.TypeFor[stack.Config]()} {
		for f := range typ.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			require.Regexp(t, `(?m)^\s*(# )?`+key+`:`, DefaultConfig, "the template lacks %s.%s (%s)", typ.Name(), f.Name, key)
		}
	}
}
