module github.com/maestro-go/maestro

go 1.26.0

require (
	github.com/dave/jennifer v1.7.1
	github.com/stretchr/testify v1.11.1
	golang.org/x/net v0.62.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
