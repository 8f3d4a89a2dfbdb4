package wizard

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/maestro-go/maestro/maestro/idl/gogen"
)

const (
	iiopPath  = "github.com/maestro-go/maestro/maestro/iiop"
	orbPath   = "github.com/maestro-go/maestro/maestro/orb"
	groupPath = "github.com/maestro-go/maestro/maestro/groupmember"
)

// mainFile is the server's main.go: flags, the ORB wired with every
// answer written out as an option, the IOR in -etc, a graceful stop on
// SIGINT/SIGTERM.
func (c *Config) mainFile() ([]byte, error) {
	f := jen.NewFile("main")
	f.HeaderComment(gogen.Header)
	f.ImportName(iiopPath, "iiop")
	f.ImportName(orbPath, "orb")
	f.ImportName(groupPath, "groupmember")
	app := strings.ToLower(c.Name)
	iface := orbInterfaceName(c.iface.RepoID)
	flags := []jen.Code{
		jen.Id("etc").Op(":=").Qual("flag", "String").Call(jen.Lit("etc"), jen.Lit("."), jen.Lit("directory where "+iface+".ior is written")),
		jen.Id("listen").Op(":=").Qual("flag", "String").Call(jen.Lit("listen"), jen.Lit("127.0.0.1:0"), jen.Lit("IIOP address to accept calls on")),
		jen.Id("key").Op(":=").Qual("flag", "String").Call(jen.Lit("key"), jen.Lit(c.Key), jen.Lit("object key (every replica must use the same)")),
	}
	var run []jen.Code
	if c.ORB == "replicated-updates" {
		flags = append(flags,
			jen.Id("group").Op(":=").Qual("flag", "String").Call(jen.Lit("group"), jen.Lit(app), jen.Lit("name of the ORB group the replicas join")),
			jen.Id("replicas").Op(":=").Qual("flag", "Int").Call(jen.Lit("replicas"), jen.Lit(c.Replicas), jen.Lit("configured number of replicas (answer: replicas)")),
			jen.Id("stateDir").Op(":=").Qual("flag", "String").Call(jen.Lit("statedir"), jen.Lit(""), jen.Lit("this replica's state directory (reincarnation mark); empty for a fresh temporary one")),
			jen.Id("portBase").Op(":=").Qual("flag", "Int").Call(jen.Lit("portbase"), jen.Lit(0), jen.Lit("first UDP port of the local discovery range (0: derived from -group)")),
			jen.Id("seeds").Op(":=").Qual("flag", "String").Call(jen.Lit("seeds"), jen.Lit(""), jen.Lit("comma-separated host:port of other replicas, for discovery beyond this host")),
			jen.Id("config").Op(":=").Qual("flag", "String").Call(jen.Lit("config"), jen.Lit(""), jen.Lit("YAML file of the group's options (groupmember.Options: listen, seeds, state_dir, stack, ...); the flags override it")),
			jen.Id("keyFile").Op(":=").Qual("flag", "String").Call(jen.Lit("key-file"), jen.Lit(""), jen.Lit("group key file (maestro keygen FILE writes one): only holders of the key join the replicas' group (Auth)")),
			jen.Id("admin").Op(":=").Qual("flag", "String").Call(jen.Lit("admin"), jen.Lit(""), jen.Lit("serve the replica's status and metrics on host:port (:port = 127.0.0.1; maestro status ADDR reads it)")),
		)
		run = c.ruRun(iface)
	} else {
		run = c.simpleRun(iface)
	}
	main := append(flags,
		jen.Qual("flag", "Parse").Call(),
		jen.List(jen.Id("ctx"), jen.Id("stop")).Op(":=").Qual("os/signal", "NotifyContext").Call(jen.Qual("context", "Background").Call(), jen.Qual("os", "Interrupt"), jen.Qual("syscall", "SIGTERM")),
		jen.Defer().Id("stop").Call(),
	)
	main = append(main, jen.Id("etcDir").Op(":=").Add(jen.Qual(orbPath, "Etc").Values(jen.Dict{jen.Id("Dir"): jen.Op("*").Id("etc")})))
	main = append(main, run...)
	f.Commentf("Command %s serves the CORBA object %s (%s) through the %s ORB; generated", app, c.iface.ScopedName(), c.iface.RepoID, orbTitle[c.ORB])
	f.Commentf("by maestro-wizard from %s. It writes <-etc>/%s.ior once it accepts calls and stops", AnswersFileName, iface)
	f.Comment("gracefully on SIGINT or SIGTERM.")
	f.Func().Id("main").Params().Block(main...)
	f.Comment("fail reports err and exits.")
	f.Func().Id("fail").Params(jen.Err().Error()).Block(
		jen.Qual("fmt", "Fprintln").Call(jen.Qual("os", "Stderr"), jen.Lit(app+":"), jen.Err()),
		jen.Qual("os", "Exit").Call(jen.Lit(1)))
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("wizard: rendering main.go: %w", err)
	}
	return format.Source(buf.Bytes())
}

// orbTitle names the ORBs in comments.
var orbTitle = map[string]string{"simple": "Simple", "replicated-updates": "Replicated Updates"}

// orbInterfaceName is the IOR file's base name for a repository id.
func orbInterfaceName(repoID string) string {
	s := strings.TrimPrefix(repoID, "IDL:")
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func check(call jen.Code) jen.Code {
	return jen.If(jen.Err().Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(jen.Id("fail").Call(jen.Err()))
}

func checkAssign(lhs string, call jen.Code) []jen.Code {
	return []jen.Code{
		jen.List(jen.Id(lhs), jen.Err()).Op(":=").Add(call),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Id("fail").Call(jen.Err())),
	}
}

func (c *Config) simpleRun(iface string) []jen.Code {
	var out []jen.Code
	out = append(out, checkAssign("d", jen.Qual(orbPath, "NewDispatcher").Call(jen.Qual(iiopPath, "ServerOptions").Values(jen.Dict{jen.Id("Addr"): jen.Op("*").Id("listen")})))...)
	out = append(out, checkAssign("o", jen.Qual(orbPath, "NewSimpleORB").Call(jen.Qual(orbPath, "SimpleORBOptions").Values(jen.Dict{
		jen.Id("Dispatcher"): jen.Id("d"),
		jen.Id("Etc"):        jen.Op("&").Id("etcDir"),
	})))...)
	out = append(out,
		check(jen.Id("o").Dot("Bind").Call(jen.Qual(orbPath, "KeyFromString").Call(jen.Op("*").Id("key")), jen.Id(c.Name+"TypeID"), jen.Id("New"+c.Name+"Adaptor").Call(jen.Op("&").Id(c.Name).Values()))),
		jen.Comment("Activate writes the IOR: clients may call from now on."),
		check(jen.Id("o").Dot("Activate").Call(jen.Id("ctx"))),
		jen.Qual("fmt", "Fprintf").Call(jen.Qual("os", "Stderr"), jen.Lit(strings.ToLower(c.Name)+": serving at %s; IOR in %s\n"), jen.Id("d").Dot("Addr").Call(), jen.Id("etcDir").Dot("Path").Call(jen.Lit(iface))),
		jen.Op("<-").Id("ctx").Dot("Done").Call(),
		jen.List(jen.Id("shutdown"), jen.Id("cancel")).Op(":=").Qual("context", "WithTimeout").Call(jen.Qual("context", "Background").Call(), jen.Lit(10).Op("*").Qual("time", "Second")),
		jen.Defer().Id("cancel").Call(),
		check(jen.Id("d").Dot("Shutdown").Call(jen.Id("shutdown"))),
	)
	return out
}

func (c *Config) ruRun(iface string) []jen.Code {
	var out []jen.Code
	out = append(out,
		jen.Var().Id("groupOpts").Qual(groupPath, "Options"),
		jen.If(jen.Op("*").Id("config").Op("!=").Lit("")).Block(
			jen.Var().Err().Error(),
			jen.If(jen.List(jen.Id("groupOpts"), jen.Err()).Op("=").Qual(groupPath, "LoadOptions").Call(jen.Op("*").Id("config")), jen.Err().Op("!=").Nil()).Block(jen.Id("fail").Call(jen.Err())),
		),
		jen.Id("dir").Op(":=").Op("*").Id("stateDir"),
		jen.If(jen.Id("dir").Op("==").Lit("")).Block(jen.Id("dir").Op("=").Id("groupOpts").Dot("StateDir")),
		jen.If(jen.Id("dir").Op("==").Lit("")).Block(
			jen.Var().Err().Error(),
			jen.If(jen.List(jen.Id("dir"), jen.Err()).Op("=").Qual("os", "MkdirTemp").Call(jen.Lit(""), jen.Lit(strings.ToLower(c.Name)+"-state-")), jen.Err().Op("!=").Nil()).Block(jen.Id("fail").Call(jen.Err())),
			jen.Defer().Qual("os", "RemoveAll").Call(jen.Id("dir")),
		),
		jen.Id("groupOpts").Dot("StateDir").Op("=").Id("dir"),
		jen.If(jen.Op("*").Id("seeds").Op("!=").Lit("")).Block(jen.Id("groupOpts").Dot("Seeds").Op("=").Qual("strings", "Split").Call(jen.Op("*").Id("seeds"), jen.Lit(","))),
		jen.If(jen.Op("*").Id("portBase").Op("!=").Lit(0)).Block(jen.Id("groupOpts").Dot("PortBase").Op("=").Op("*").Id("portBase")),
		jen.If(jen.Op("*").Id("keyFile").Op("!=").Lit("")).Block(jen.Id("groupOpts").Dot("KeyFile").Op("=").Op("*").Id("keyFile")),
		jen.If(jen.Op("*").Id("admin").Op("!=").Lit("")).Block(jen.Id("groupOpts").Dot("AdminAddr").Op("=").Op("*").Id("admin")),
	)
	out = append(out, checkAssign("d", jen.Qual(orbPath, "NewDispatcher").Call(jen.Qual(iiopPath, "ServerOptions").Values(jen.Dict{jen.Id("Addr"): jen.Op("*").Id("listen")})))...)
	set := func(field string, v jen.Code, answer string) jen.Code {
		return jen.Id("opts").Dot(field).Op("=").Add(v).Comment(answer)
	}
	out = append(out,
		jen.Id("opts").Op(":=").Qual(orbPath, "ReplicatedUpdatesOptions").Values(jen.Dict{
			jen.Id("Dispatcher"): jen.Id("d"),
			jen.Id("Name"):       jen.Op("*").Id("group"),
			jen.Id("Etc"):        jen.Id("etcDir"),
			jen.Id("Group"):      jen.Id("groupOpts"),
		}),
		jen.Comment("The answers of the wizard, as the ORB options they set (§3.4.1)."),
		set("ProgressInPrimaryOnly", jen.Lit(c.progressInPrimaryOnly()), "partitions: "+c.Partitions),
		set("Replicas", jen.Op("*").Id("replicas"), fmt.Sprintf("replicas: %d", c.Replicas)),
		set("StateTransfer", jen.Lit(c.StateTransfer), "state_transfer: "+c.Answers["state_transfer"].(string)),
		set("RequestsCommute", jen.Lit(c.requestsCommute()), "ordering: "+c.Ordering),
		set("ReinstallIOR", jen.Lit(c.ReinstallIOR), fmt.Sprintf("reinstall_ior: %v", c.ReinstallIOR)),
	)
	out = append(out, checkAssign("o", jen.Qual(orbPath, "NewReplicatedUpdates").Call(jen.Id("opts")))...)
	out = append(out,
		jen.Id("key_").Op(":=").Qual(orbPath, "KeyFromString").Call(jen.Op("*").Id("key")),
		check(jen.Id("o").Dot("Bind").Call(jen.Id("key_"), jen.Id(c.Name+"TypeID"), jen.Id("New"+c.Name+"Adaptor").Call(jen.Op("&").Id(c.Name).Values()))),
		check(jen.Id("o").Dot("Activate").Call(jen.Id("ctx"))),
	)
	if !c.ReinstallIOR {
		out = append(out,
			jen.Comment("reinstall_ior is false: the IOR is written once, naming this replica."),
			jen.List(jen.Id("ref"), jen.Err()).Op(":=").Id("o").Dot("IOR").Call(jen.Id("key_")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Id("fail").Call(jen.Err())),
			check(jen.Id("etcDir").Dot("Publish").Call(jen.Lit(iface), jen.Id("ref"))),
		)
	}
	out = append(out,
		jen.Qual("fmt", "Fprintf").Call(jen.Qual("os", "Stderr"), jen.Lit(strings.ToLower(c.Name)+": replica of group %s serving at %s; IOR in %s\n"), jen.Op("*").Id("group"), jen.Id("d").Dot("Addr").Call(), jen.Id("etcDir").Dot("Path").Call(jen.Lit(iface))),
		jen.Op("<-").Id("ctx").Dot("Done").Call(),
		jen.List(jen.Id("shutdown"), jen.Id("cancel")).Op(":=").Qual("context", "WithTimeout").Call(jen.Qual("context", "Background").Call(), jen.Lit(10).Op("*").Qual("time", "Second")),
		jen.Defer().Id("cancel").Call(),
		check(jen.Id("o").Dot("Deactivate").Call(jen.Id("shutdown"))),
	)
	return out
}
