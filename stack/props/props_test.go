package props

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultStackOrder(t *testing.T) {
	p, err := Parse("")
	require.NoError(t, err)
	require.Equal(t, "Flow:Total:Frag:Heal:Gmp:Sync:Nak:Suspect:Switch", p.String())
	var names []string
	for _, proto := range p.Protocols() {
		names = append(names, proto.Name())
	}
	require.Equal(t, []string{"Flow", "Total", "Frag", "Heal", "Gmp", "Sync", "Nak", "Suspect"}, names)
}

func TestOrderInStringDoesNotMatter(t *testing.T) {
	a, err := Parse("Total:Gmp:Sync")
	require.NoError(t, err)
	b, err := Parse("sync : GMP : total")
	require.NoError(t, err)
	require.Equal(t, a.String(), b.String())
	require.True(t, a.Has("Nak"), "Nak is always present")
}

func TestErrorsNameTheProperty(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		is       error
	}{
		{"Gmp:Sync:Totl", `"Totl"`, ErrUnknown},
		{"Gmp:Gmp", `"Gmp" given twice`, nil},
		{"Sync:Total", `"Gmp"`, ErrMissing},
		{"Gmp::Total", "empty property", nil},
	} {
		_, err := Parse(tc.in)
		require.ErrorContains(t, err, tc.want, tc.in)
		if tc.is != nil {
			require.True(t, errors.Is(err, tc.is), tc.in)
		}
	}
}

func TestPrimaryAndTokenRules(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		is       error
	}{
		{"Gmp:Sync:Total:Token", `"Total" and "Token"`, ErrConflict},
		{"Gmp:Sync:Safe:Total", `"Safe" requires missing property "Primary"`, ErrMissing},
		{"Gmp:Sync:Primary", `"Primary" requires missing property "Total" or "Token"`, ErrMissing},
		{"Gmp:Primary:Total", `"Primary" requires missing property "Sync"`, ErrMissing},
	} {
		_, err := Parse(tc.in)
		require.ErrorContains(t, err, tc.want, tc.in)
		require.True(t, errors.Is(err, tc.is), tc.in)
	}
	p, err := Parse("Gmp:Sync:Heal:Frag:Suspect:Flow:Token:Primary:Safe")
	require.NoError(t, err)
	require.Equal(t, "Flow:Primary:Safe:Token:Frag:Heal:Gmp:Sync:Nak:Suspect", p.String())
	_, err = p.Build(Settings{})
	require.ErrorIs(t, err, ErrSettings, "Primary without the number of replicas")
	ps, err := p.Build(Settings{Replicas: 3})
	require.NoError(t, err)
	require.Len(t, ps, 10)
}
