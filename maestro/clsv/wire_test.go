package clsv

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/maestro/message"
)

// TestEnvelopeRoundTripsInOneBuffer: an envelope is written into a
// buffer sized for it (the message and its buffer, nothing regrown) and
// opens to what was put in, destinations included.
func TestEnvelopeRoundTripsInOneBuffer(t *testing.T) {
	app := message.New().PutString(string(make([]byte, 4096))).PutInt32(7)
	dests := []EndpID{"127.0.0.1:7001/1", "127.0.0.1:7002/1"}
	for _, kind := range []int32{kindCast, kindScast} {
		allocs := testing.AllocsPerRun(20, func() { envelope(kind, true, dests, app) })
		require.LessOrEqual(t, allocs, 2.0, "kind %d", kind)
		o, err := open(envelope(kind, true, dests, app))
		require.NoError(t, err)
		require.True(t, o.sensitive)
		require.Equal(t, app.Bytes(), o.app.Bytes())
		if kind == kindScast {
			require.Equal(t, dests, o.dests)
		}
	}
	o, err := open(envelope(kindSend, false, nil, nil))
	require.NoError(t, err)
	require.Zero(t, o.app.Len())
}
