// omniORB servers for Maestro's interop tests and benchmark.
//
//   server [-ORB options] grid IORFILE
//   server [-ORB options] perf IORFILE
//
// Writes the object's IOR to IORFILE (atomically) once it accepts calls,
// then serves until killed.
#include "Grid.hh"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

class Grid_i : public POA_Grid {
  CORBA::Long cells[100];
  omni_mutex mu;

 public:
  Grid_i() {
    for (int i = 0; i < 100; i++) cells[i] = 0;
  }
  CORBA::Short height() { return 10; }
  CORBA::Short width() { return 10; }
  void set(CORBA::Short n, CORBA::Short m, CORBA::Long v) {
    if (n < 0 || n >= 10 || m < 0 || m >= 10) throw CORBA::BAD_PARAM(0, CORBA::COMPLETED_NO);
    omni_mutex_lock l(mu);
    cells[10 * n + m] = v;
  }
  CORBA::Long get(CORBA::Short n, CORBA::Short m) {
    if (n < 0 || n >= 10 || m < 0 || m >= 10) throw OutOfRange(n, m);
    omni_mutex_lock l(mu);
    return cells[10 * n + m];
  }
  char* echo(const char* s) { return CORBA::string_dup(s); }
  CORBA::WChar* wecho(const CORBA::WChar* s) { return CORBA::wstring_dup(s); }
};

class Perf_i : public POA_PerformanceTest {
  CORBA::String_var v;
  omni_mutex mu;

 public:
  Perf_i() : v(CORBA::string_dup("")) {}
  char* value() {
    omni_mutex_lock l(mu);
    return CORBA::string_dup(v);
  }
  void value(const char* s) {
    omni_mutex_lock l(mu);
    v = CORBA::string_dup(s);
  }
};

int main(int argc, char** argv) {
  CORBA::ORB_var orb = CORBA::ORB_init(argc, argv);
  if (argc < 3) {
    std::cerr << "usage: server grid|perf IORFILE" << std::endl;
    return 2;
  }
  std::string mode = argv[1], path = argv[2];
  CORBA::Object_var obj = orb->resolve_initial_references("RootPOA");
  PortableServer::POA_var poa = PortableServer::POA::_narrow(obj);
  CORBA::Object_var ref;
  if (mode == "grid") {
    Grid_i* g = new Grid_i();
    PortableServer::ObjectId_var id = poa->activate_object(g);
    ref = g->_this();
  } else if (mode == "perf") {
    Perf_i* p = new Perf_i();
    PortableServer::ObjectId_var id = poa->activate_object(p);
    ref = p->_this();
  } else {
    std::cerr << "unknown mode " << mode << std::endl;
    return 2;
  }
  poa->the_POAManager()->activate();
  CORBA::String_var s = orb->object_to_string(ref);
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp.c_str());
    f << (const char*)s << std::endl;
  }
  std::rename(tmp.c_str(), path.c_str());
  orb->run();
  return 0;
}
