package workload

import (
	"math"
	"slices"
	"time"
)

// Summary holds latency statistics in microseconds.
type Summary struct {
	Mean, P50, P90, P99, P999, Max float64
}

// Summarize sorts lat in place and returns its statistics. Percentiles use
// the nearest-rank method. An empty input yields a zero Summary.
func Summarize(lat []time.Duration) Summary {
	if len(lat) == 0 {
		return Summary{}
	}
	slices.Sort(lat)
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	return Summary{
		Mean: us(total) / float64(len(lat)),
		P50:  us(rank(lat, 0.50)),
		P90:  us(rank(lat, 0.90)),
		P99:  us(rank(lat, 0.99)),
		P999: us(rank(lat, 0.999)),
		Max:  us(lat[len(lat)-1]),
	}
}

// rank returns the nearest-rank p-quantile of the sorted slice s.
func rank(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func us(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}
