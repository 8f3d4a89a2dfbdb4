package gogen

import (
	"bytes"
	"fmt"
	"go/format"

	"github.com/dave/jennifer/jen"
)

// fileBuilder is one Go file under construction.
type fileBuilder struct {
	f *jen.File
}

func (g *gen) newFile(generated bool, comment string) *fileBuilder {
	f := jen.NewFile(g.opts.Package)
	if generated {
		f.HeaderComment(Header)
	}
	if comment != "" {
		f.PackageComment(comment)
	}
	f.ImportName(iiopPath, "iiop")
	f.ImportName(orbPath, "orb")
	f.ImportName(cdrPath, "cdr")
	return &fileBuilder{f: f}
}

// render formats the file; jennifer already gofmts, format.Source makes
// sure the result is canonical.
func (b *fileBuilder) render() ([]byte, error) {
	var buf bytes.Buffer
	if err := b.f.Render(&buf); err != nil {
		return nil, err
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting: %w", err)
	}
	return out, nil
}
