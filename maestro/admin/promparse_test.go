package admin_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// family is one metric family of a Prometheus text exposition.
type family struct {
	name, help, typ string
	samples         []sample
}

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseProm parses the Prometheus text format (0.0.4) strictly: every
// line is a HELP, a TYPE, another comment, blank, or a valid sample; a
// family's HELP and TYPE come before its samples, at most once each; a
// family's samples are contiguous and named as the family (our writer has
// no histograms or summaries, whose samples add suffixes). It returns the
// families by name.
func parseProm(r io.Reader) (map[string]*family, error) {
	fams := map[string]*family{}
	done := map[string]bool{} // families whose samples have ended
	var cur string            // the family whose samples may follow
	get := func(name string) *family {
		f := fams[name]
		if f == nil {
			f = &family{name: name}
			fams[name] = f
		}
		return f
	}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", n, line, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE "):
			kw, rest := line[2:6], line[7:]
			name, text, _ := strings.Cut(rest, " ")
			if !metricName.MatchString(name) {
				return nil, fail("bad metric name %q", name)
			}
			f := get(name)
			if len(f.samples) > 0 || done[name] {
				return nil, fail("%s after the family's samples", kw)
			}
			if cur != "" && cur != name {
				done[cur] = true
			}
			cur = name
			if kw == "HELP" {
				if f.help != "" {
					return nil, fail("second HELP")
				}
				f.help = text
				continue
			}
			if f.typ != "" {
				return nil, fail("second TYPE")
			}
			switch text {
			case "counter", "gauge", "histogram", "summary", "untyped":
				f.typ = text
			default:
				return nil, fail("unknown type %q", text)
			}
		case strings.HasPrefix(line, "#"):
			continue
		default:
			s, err := parseSample(line)
			if err != nil {
				return nil, fail("%v", err)
			}
			f := fams[s.name]
			if f == nil || f.typ == "" || f.help == "" {
				return nil, fail("sample before its family's HELP and TYPE")
			}
			if s.name != cur || done[s.name] {
				return nil, fail("family %s's samples are not contiguous", s.name)
			}
			f.samples = append(f.samples, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return fams, nil
}

// parseSample parses `name{l="v",...} value [timestamp]`.
func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value")
	}
	s.name = line[:i]
	if !metricName.MatchString(s.name) {
		return s, fmt.Errorf("bad metric name %q", s.name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		var err error
		if rest, err = parseLabels(rest[1:], s.labels); err != nil {
			return s, err
		}
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 || !strings.HasPrefix(rest, " ") {
		return s, fmt.Errorf("want ' value [timestamp]' after the labels, got %q", rest)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil && !(fields[0] == "NaN" || fields[0] == "+Inf" || fields[0] == "-Inf") {
		return s, fmt.Errorf("bad value %q", fields[0])
	}
	if math.IsNaN(v) && fields[0] != "NaN" {
		return s, fmt.Errorf("bad value %q", fields[0])
	}
	s.value = v
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("bad timestamp %q", fields[1])
		}
	}
	return s, nil
}

// parseLabels reads `l="v",...}` into labels and returns what follows.
func parseLabels(s string, labels map[string]string) (string, error) {
	for {
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return "", fmt.Errorf("label without '='")
		}
		name := s[:eq]
		if !labelName.MatchString(name) {
			return "", fmt.Errorf("bad label name %q", name)
		}
		if _, dup := labels[name]; dup {
			return "", fmt.Errorf("label %q twice", name)
		}
		s = s[eq+1:]
		if !strings.HasPrefix(s, `"`) {
			return "", fmt.Errorf("label %s: value not quoted", name)
		}
		var v strings.Builder
		j := 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' {
				j++
				if j == len(s) {
					break
				}
				switch s[j] {
				case '\\', '"':
					v.WriteByte(s[j])
				case 'n':
					v.WriteByte('\n')
				default:
					return "", fmt.Errorf("label %s: bad escape \\%c", name, s[j])
				}
				continue
			}
			v.WriteByte(s[j])
		}
		if j >= len(s) {
			return "", fmt.Errorf("label %s: unterminated value", name)
		}
		labels[name] = v.String()
		s = s[j+1:]
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "}"):
		default:
			return "", fmt.Errorf("after label %s: want ',' or '}'", name)
		}
	}
}

// value returns the value of the family's only sample whose labels
// include want, and whether there is exactly one.
func (f *family) value(want map[string]string) (float64, bool) {
	var v float64
	n := 0
	for _, s := range f.samples {
		match := true
		for k, w := range want {
			if s.labels[k] != w {
				match = false
			}
		}
		if match {
			v, n = s.value, n+1
		}
	}
	return v, n == 1
}

// sampleValue returns the value of the one sample of family name whose labels are base plus
// the extra name-value pairs, failing the test if there is not exactly one.
func sampleValue(t *testing.T, fams map[string]*family, name string, base map[string]string, extra ...string) float64 {
	t.Helper()
	f := fams[name]
	require.NotNil(t, f, "no family %s", name)
	l := map[string]string{}
	for k, v := range base {
		l[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	v, ok := f.value(l)
	require.True(t, ok, "%s%v: want exactly one sample", name, l)
	return v
}
