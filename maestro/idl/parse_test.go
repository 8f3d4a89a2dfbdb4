package idl

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseGrid(t *testing.T) {
	spec, err := ParseFile("testdata/Grid.idl", Options{})
	require.NoError(t, err)
	g, ok := spec.Lookup("Grid").(*Interface)
	require.True(t, ok)
	require.Equal(t, "IDL:Grid:1.0", g.RepoID)
	require.Len(t, g.Defs, 4)
	h := g.Defs[0].(*Attribute)
	require.True(t, h.Readonly)
	require.Equal(t, &BasicType{Kind: Short}, h.Type)
	set := g.Defs[2].(*Operation)
	require.Equal(t, "set", set.Name)
	require.Nil(t, set.Result)
	require.Len(t, set.Params, 3)
	require.Equal(t, In, set.Params[2].Dir)
	require.Equal(t, &BasicType{Kind: Long}, set.Params[2].Type)
	require.Equal(t, []*Interface{g}, spec.Interfaces())
}

func TestParseShop(t *testing.T) {
	spec, err := ParseFile("testdata/Shop.idl", Options{})
	require.NoError(t, err)
	store := spec.Lookup("::Shop::Store").(*Interface)
	base := spec.Lookup("Shop::Base").(*Interface)
	require.Equal(t, "IDL:maestro-go.example/Shop/Store:1.0", store.RepoID)
	require.Equal(t, []*Interface{base}, store.Bases)
	require.Equal(t, []string{"Shop", "Store"}, store.Scoped)

	c := spec.Lookup("Shop::MaxItems").(*Const)
	require.Equal(t, "100", c.Value.String())
	require.Equal(t, `"hello"`, spec.Lookup("Shop::Greeting").(*Const).Value.String())

	green := spec.Lookup("Shop::green").(*Enumerator)
	require.EqualValues(t, 1, green.Value)
	require.Equal(t, "Color", green.Enum.Name)

	u := spec.Lookup("Shop::Value").(*Union)
	require.Len(t, u.Cases, 3)
	require.Len(t, u.Cases[1].Labels, 2)
	require.True(t, u.Cases[2].Default)

	m := spec.Lookup("Shop::Matrix").(*Typedef)
	require.Equal(t, []uint32{2, 3}, m.Type.(*ArrayType).Dims)
	d := Underlying(spec.Lookup("Shop::Digest").(*Typedef).Type).(*SequenceType)
	require.EqualValues(t, 16, d.Bound)

	var stats, log, find *Operation
	for _, d := range store.Defs {
		if op, ok := d.(*Operation); ok {
			switch op.Name {
			case "stats":
				stats = op
			case "log":
				log = op
			case "find":
				find = op
			}
		}
	}
	require.Equal(t, Out, stats.Params[0].Dir)
	require.Equal(t, InOut, stats.Params[1].Dir)
	require.True(t, log.Oneway)
	require.Len(t, find.Raises, 2)
	require.Equal(t, "IDL:maestro-go.example/Shop/NotFound:1.0", find.Raises[0].RepoID)
}

func TestIncludeAndPrefixScope(t *testing.T) {
	files := map[string]string{
		"dir/main.idl": "#include \"base.idl\"\n#pragma prefix \"main.org\"\ninterface Main : Base { void m(in T v); };",
		"dir/base.idl": "#pragma prefix \"base.org\"\ntypedef long T;\ninterface Base { T b(); };",
	}
	opts := Options{ReadFile: func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errNotFound
	}}
	spec, err := ParseFile("dir/main.idl", opts)
	require.NoError(t, err)
	require.Equal(t, "IDL:base.org/Base:1.0", spec.Lookup("Base").Info().RepoID)
	require.True(t, spec.Lookup("Base").Info().Included)
	require.Equal(t, "IDL:main.org/Main:1.0", spec.Lookup("Main").Info().RepoID)
	require.False(t, spec.Lookup("Main").Info().Included)
}

func TestRecursiveStructThroughSequence(t *testing.T) {
	spec, err := Parse("t.idl", []byte("struct Node { long v; sequence<Node> kids; };"), Options{})
	require.NoError(t, err)
	n := spec.Lookup("Node").(*Struct)
	require.Equal(t, n, n.Members[1].Type.(*SequenceType).Elem.(*NamedType).Decl)
}

func TestNestedSequenceCloseAngles(t *testing.T) {
	_, err := Parse("t.idl", []byte("typedef sequence<sequence<long>> LL; typedef sequence<sequence<long, 2>,3> B;"), Options{})
	require.NoError(t, err)
}
