package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// spread summarises the repetitions of one cell.
type spread struct {
	n                int
	median, min, max float64
	q1, q3           float64 // quartiles: the middle half of the values lies between them
}

// summarize returns the median and the range of vs (n = 0 if empty).
func summarize(vs []float64) spread {
	if len(vs) == 0 {
		return spread{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{n: len(s), median: m, min: s[0], max: s[len(s)-1], q1: quantile(s, 0.25), q3: quantile(s, 0.75)}
}

// quantile interpolates the q-quantile of the sorted values s.
func quantile(s []float64, q float64) float64 {
	x := q * float64(len(s)-1)
	i := int(x)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (x-float64(i))*(s[i+1]-s[i])
}

// ratios divides a by b round by round (paired: the two were measured
// next to each other); rounds missing on either side are skipped.
func ratios(a, b []float64) []float64 {
	var out []float64
	for i := 0; i < len(a) && i < len(b); i++ {
		if b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// thousands formats v rounded to an integer with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// count formats a spread of counts: "median [min–max]".
func (s spread) count() string {
	if s.n == 0 {
		return "-"
	}
	if s.n == 1 {
		return thousands(s.median)
	}
	return fmt.Sprintf("%s [%s–%s]", thousands(s.median), thousands(s.min), thousands(s.max))
}

// swing is how far the spread's min or max lies from its median, as a
// fraction of the median (0 with no samples).
func (s spread) swing() float64 {
	if s.n == 0 || s.median == 0 {
		return 0
	}
	return max(s.median-s.min, s.max-s.median) / s.median
}

// ratio formats a spread of ratios: "1.23× [1.10–1.40]".
func (s spread) ratio() string { return s.twoPlaces("×") }

// micros formats a spread of small figures (µs per message) to two places.
func (s spread) micros() string { return s.twoPlaces("") }

// twoPlaces formats the median to two places with unit after it, then the
// range when there is more than one sample.
func (s spread) twoPlaces(unit string) string {
	switch s.n {
	case 0:
		return "-"
	case 1:
		return fmt.Sprintf("%.2f%s", s.median, unit)
	}
	return fmt.Sprintf("%.2f%s [%.2f–%.2f]", s.median, unit, s.min, s.max)
}
