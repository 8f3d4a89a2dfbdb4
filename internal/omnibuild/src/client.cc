// omniORB client for Maestro's interop tests and benchmark.
//
//   client [-ORB options] grid  IORFILE
//   client [-ORB options] full  IORFILE BADKEY_IORFILE GIOP_MINOR THREADS
//   client [-ORB options] perf  IORFILE SIZE COUNT
//   client [-ORB options] calls IORFILE   (one width() per line read on stdin)
//   client [-ORB options] lines IORFILE   (one call per line read on stdin:
//                                          "set N M V", "get N M", "width" or
//                                          "height"; prints "OK [value]" or
//                                          "EXC <exception>")
//   client [-ORB options] threads ROUNDS IORFILE...
//                                         (one thread per reference; thread t
//                                          sets and reads back cells of row t)
//
// Prints PASS/FAIL lines; exits 0 only if every check passed.
#include "Grid.hh"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

static int failures = 0;

static void pass(const std::string& what) { std::cout << "PASS: " << what << std::endl; }
static void fail(const std::string& what) {
  std::cout << "FAIL: " << what << std::endl;
  failures++;
}

static std::string readIOR(const char* path) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s)) {
    std::cerr << "client: cannot read IOR file " << path << std::endl;
    std::exit(2);
  }
  return s;
}

static std::string describe(const CORBA::SystemException& e) {
  std::ostringstream o;
  o << e._name() << " minor " << std::hex << e.minor() << std::dec << " completed " << (int)e.completed();
  return o.str();
}

// The dissertation's client (§3.5.3): width, height, set(2,4,123), get(2,4).
static void gridTest(Grid_ptr g) {
  CORBA::Short h = g->height(), w = g->width();
  if (h != 10 || w != 10) {
    std::ostringstream o;
    o << "width is " << w << ", height is " << h;
    fail(o.str());
    return;
  }
  pass("width is 10, height is 10");
  g->set(2, 4, 123);
  g->set(0, 0, 0);
  CORBA::Long v = g->get(2, 4);
  if (v != 123) {
    std::ostringstream o;
    o << "bad value returned after set,get: " << v;
    fail(o.str());
    return;
  }
  pass("grid[2,4] is 123");
}

static void fullTest(CORBA::ORB_ptr orb, Grid_ptr g, const char* badKeyIOR, int giopMinor, int threads) {
  gridTest(g);

  // A user exception with members.
  try {
    g->get(20, 30);
    fail("get(20,30) returned instead of raising OutOfRange");
  } catch (OutOfRange& e) {
    if (e.n == 20 && e.m == 30) pass("get(20,30) raised OutOfRange{20,30}");
    else fail("OutOfRange with wrong members");
  }

  // An operation the server does not implement.
  try {
    Unimplemented_var u = Unimplemented::_unchecked_narrow(g);
    u->frobnicate();
    fail("frobnicate returned");
  } catch (CORBA::BAD_OPERATION& e) {
    pass("unknown operation raised BAD_OPERATION");
  } catch (CORBA::SystemException& e) {
    fail("unknown operation raised " + describe(e));
  }

  // An object key the server does not know.
  try {
    CORBA::Object_var o = orb->string_to_object(readIOR(badKeyIOR).c_str());
    Grid_var bad = Grid::_unchecked_narrow(o);
    bad->width();
    fail("unknown key: width returned");
  } catch (CORBA::OBJECT_NOT_EXIST& e) {
    pass("unknown key raised OBJECT_NOT_EXIST");
  } catch (CORBA::SystemException& e) {
    fail("unknown key raised " + describe(e));
  }

  // A 100 KiB string: the client fragments it (GIOP 1.1/1.2) or sends one
  // large message (GIOP 1.0).
  {
    std::string big(100 * 1024, 'x');
    for (size_t i = 0; i < big.size(); i++) big[i] = 'a' + (i * 7) % 26;
    CORBA::String_var r = g->echo(big.c_str());
    if (big == (const char*)r) pass("echo of a 100 KiB string");
    else fail("echo of a 100 KiB string came back different");
  }

  // Non-ASCII strings. GIOP 1.0 has no code set negotiation: the client
  // sends ISO-8859-1, so only Latin-1 characters are tried there.
  {
    const char* s = giopMinor >= 1 ? "gr\xc3\xbc\xc3\x9f" "e \xce\xa9mega \xe6\x97\xa5\xe6\x9c\xac" : "gr\xfc\xdf" "e caf\xe9";
    CORBA::String_var r = g->echo(s);
    if (std::strcmp(s, r) == 0) pass("echo of a non-ASCII string");
    else fail(std::string("echo of a non-ASCII string gave ") + (const char*)r);
  }
  // omniORB 4.2.5 refuses UTF-16 wide strings in GIOP 1.1
  // (INV_OBJREF_WCharNotSupported) and characters outside the BMP
  // (BAD_PARAM_WCharOutOfRange), even against itself: test 1.2, BMP only.
  if (giopMinor >= 2) {
    const CORBA::WChar ws[] = {L'g', L'r', 0xfc, 0xdf, L'e', L' ', 0x3a9, L' ', 0x65e5, 0x672c, L' ', 0x20ac, 0};
    CORBA::WString_var r = g->wecho(ws);
    bool same = true;
    size_t i = 0;
    for (; ws[i] != 0; i++) {
      if (r[i] != ws[i]) same = false;
    }
    if (r[i] != 0) same = false;
    if (same) pass("wecho of a non-ASCII wide string");
    else fail("wecho of a non-ASCII wide string came back different");
  }

  // Several client threads at once, each on its own row.
  std::vector<std::thread> ts;
  std::vector<int> bad(threads, 0);
  for (int t = 0; t < threads; t++) {
    ts.emplace_back([&, t]() {
      try {
        for (int i = 0; i < 100; i++) {
          CORBA::Short n = t % 10, m = i % 10;
          CORBA::Long v = 1000 * t + i;
          g->set(n, m, v);
          if (threads <= 10 && g->get(n, m) != v) bad[t]++;
          CORBA::String_var r = g->echo("thread");
          if (std::strcmp(r, "thread") != 0) bad[t]++;
        }
      } catch (CORBA::SystemException& e) {
        bad[t]++;
      }
    });
  }
  int badTotal = 0;
  for (int t = 0; t < threads; t++) {
    ts[t].join();
    badTotal += bad[t];
  }
  std::ostringstream o;
  o << threads << " threads x 100 set/get/echo";
  if (badTotal == 0) pass(o.str());
  else fail(o.str());
}

// One call per line of stdin, for tests that interleave calls with what
// they do to the servers.
static void linesTest(Grid_ptr g) {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    in >> op;
    try {
      CORBA::Short n = 0, m = 0;
      CORBA::Long v = 0;
      if (op == "set" && (in >> n >> m >> v)) {
        g->set(n, m, v);
        std::cout << "OK" << std::endl;
      } else if (op == "get" && (in >> n >> m)) {
        v = g->get(n, m);
        std::cout << "OK " << v << std::endl;
      } else if (op == "width") {
        v = g->width();
        std::cout << "OK " << v << std::endl;
      } else if (op == "height") {
        v = g->height();
        std::cout << "OK " << v << std::endl;
      } else {
        std::cout << "ERR unknown command: " << line << std::endl;
      }
    } catch (CORBA::SystemException& e) {
      std::cout << "EXC " << describe(e) << std::endl;
    } catch (CORBA::Exception& e) {
      std::cout << "EXC " << e._name() << std::endl;
    }
  }
}

// Thread t of threads.size() calls set(t, i%10, 1000*t+i) for i < rounds on
// its own reference, reading each cell back with get; all threads run at
// once, so their sets interleave.
static void threadsTest(std::vector<Grid_var>& grids, int rounds) {
  std::vector<std::thread> ts;
  std::vector<std::string> bad(grids.size());
  for (size_t t = 0; t < grids.size(); t++) {
    ts.emplace_back([&, t]() {
      try {
        for (int i = 0; i < rounds; i++) {
          CORBA::Short n = t, m = i % 10;
          CORBA::Long v = 1000 * t + i;
          grids[t]->set(n, m, v);
          CORBA::Long got = grids[t]->get(n, m);
          if (got != v && bad[t].empty()) {
            std::ostringstream o;
            o << "get(" << n << "," << m << ") gave " << got << " after set " << v;
            bad[t] = o.str();
          }
        }
      } catch (CORBA::SystemException& e) {
        bad[t] = describe(e);
      }
    });
  }
  for (size_t t = 0; t < grids.size(); t++) {
    ts[t].join();
    std::ostringstream o;
    o << "thread " << t << ": " << rounds << " set/get";
    if (bad[t].empty()) pass(o.str());
    else fail(o.str() + ": " + bad[t]);
  }
}

static void perfTest(PerformanceTest_ptr p, int size, int count) {
  std::string s(size, 'v');
  for (int i = 0; i < 200; i++) p->value(s.c_str());  // warm up the connection
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; i++) p->value(s.c_str());
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CORBA::String_var back = p->value();
  if (std::string((const char*)back) != s) fail("value() did not return the last value set");
  std::printf("calls_per_sec %.1f\n", count / secs);
}

int main(int argc, char** argv) {
  try {
    CORBA::ORB_var orb = CORBA::ORB_init(argc, argv);
    if (argc < 3) {
      std::cerr << "usage: client grid|full|perf|calls|lines IORFILE ... | threads ROUNDS IORFILE..." << std::endl;
      return 2;
    }
    std::string mode = argv[1];
    if (mode == "threads") {
      if (argc < 4) return 2;
      std::vector<Grid_var> grids;
      for (int i = 3; i < argc; i++) {
        CORBA::Object_var o = orb->string_to_object(readIOR(argv[i]).c_str());
        grids.push_back(Grid::_narrow(o));
        if (CORBA::is_nil(grids.back())) {
          fail("narrow to Grid gave nil");
          return 1;
        }
      }
      threadsTest(grids, std::atoi(argv[2]));
      orb->destroy();
      return failures == 0 ? 0 : 1;
    }
    CORBA::Object_var obj = orb->string_to_object(readIOR(argv[2]).c_str());
    if (mode == "perf") {
      if (argc < 5) return 2;
      PerformanceTest_var p = PerformanceTest::_narrow(obj);
      perfTest(p, std::atoi(argv[3]), std::atoi(argv[4]));
    } else {
      Grid_var g = Grid::_narrow(obj);
      if (CORBA::is_nil(g)) {
        fail("narrow to Grid gave nil");
        return 1;
      }
      if (mode == "grid") {
        gridTest(g);
      } else if (mode == "full") {
        if (argc < 6) return 2;
        fullTest(orb, g, argv[3], std::atoi(argv[4]), std::atoi(argv[5]));
      } else if (mode == "lines") {
        linesTest(g);
      } else if (mode == "calls") {
        std::string line;
        while (std::getline(std::cin, line)) {
          try {
            CORBA::Short w = g->width();
            std::cout << "OK " << w << std::endl;
          } catch (CORBA::SystemException& e) {
            std::cout << "EXC " << describe(e) << std::endl;
          }
        }
      } else {
        std::cerr << "unknown mode " << mode << std::endl;
        return 2;
      }
    }
    orb->destroy();
  } catch (CORBA::SystemException& e) {
    fail("unexpected system exception " + describe(e));
  } catch (CORBA::Exception& e) {
    fail(std::string("unexpected exception ") + e._name());
  }
  return failures == 0 ? 0 : 1;
}
