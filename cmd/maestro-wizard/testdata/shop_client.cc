// omniORB client of Shop::Store for maestro-wizard's end-to-end tests:
//   shop_client IORFILE
// Prints PASS/FAIL lines; exits 0 only if every check passed.
#include "Shop.hh"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

static int failures = 0;
static void check(bool ok, const std::string& what) {
  std::cout << (ok ? "PASS: " : "FAIL: ") << what << std::endl;
  if (!ok) failures++;
}

static Shop::Item item(const char* name, CORBA::Long qty, Shop::Color c, CORBA::Double price) {
  Shop::Item it;
  it.name = CORBA::string_dup(name);
  it.qty = qty;
  it.shade = c;
  it.price = price;
  return it;
}

int main(int argc, char** argv) {
  CORBA::ORB_var orb = CORBA::ORB_init(argc, argv);
  if (argc != 2) {
    std::cerr << "usage: shop_client IORFILE" << std::endl;
    return 2;
  }
  std::ifstream f(argv[1]);
  std::string ior;
  f >> ior;
  try {
    CORBA::Object_var obj = orb->string_to_object(ior.c_str());
    Shop::Store_var s = Shop::Store::_narrow(obj);
    check(!CORBA::is_nil(s), "narrow to Shop::Store");
    check(obj->_is_a("IDL:maestro-go.example/Shop/Base:1.0"), "_is_a the base interface");

    CORBA::String_var name = s->name();
    check(std::string(name.in()) == "shop", "attribute name (base interface)");
    check(s->ping(41) == 42, "ping(41) is 42 (base interface operation)");
    s->limit(5);
    check(s->limit() == 5, "attribute limit set and read back");

    s->add(item("apple", 3, Shop::green, 1.5));
    s->add(item("pear", 2, Shop::blue, 2.0));
    try {
      s->add(item("bad", -1, Shop::red, 0));
      check(false, "add with a negative quantity raises NotFound");
    } catch (const Shop::NotFound& e) {
      check(std::string(e.name.in()) == "bad" && e.code == 7, "user exception NotFound with its members");
    }

    Shop::Items_var items = s->list();
    check(items->length() == 2 && std::string(items[0].name.in()) == "apple" && items[1].shade == Shop::blue &&
              items[1].price == 2.0 && items[0].qty == 3,
          "list returns the sequence of structs");

    Shop::Item_var pear = s->find("pear");
    check(pear->qty == 2, "find returns a struct");
    try {
      s->find("plum");
      check(false, "find of a missing item raises NotFound");
    } catch (const Shop::NotFound& e) {
      check(e.code == 404, "find raises NotFound (one of two declared exceptions)");
    }

    CORBA::Long count = 0;
    CORBA::Double total = 10.0;
    CORBA::Long n = s->stats(count, total);
    std::ostringstream o;
    o << "stats: return " << n << ", out count " << count << ", inout total " << total;
    check(n == 2 && count == 5 && total == 18.5, o.str());

    s->log("hello");  // oneway

    Shop::Value v;
    v.l(1234);
    Shop::Value_var r = s->pick(v);
    check(r->_d() == 2 && std::string(r->s()) == "1234", "union in and out");

    Shop::Matrix m;
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++) m[i][j] = i * 3 + j;
    Shop::Matrix_slice* scaled = s->scale(m, 2);
    check(scaled[1][2] == 10 && scaled[0][1] == 2, "array in and out");
    Shop::Matrix_free(scaled);

    Shop::Words words;
    words.length(2);
    words[0] = CORBA::string_dup("a");
    words[1] = CORBA::string_dup("bbb");
    Shop::Digest_var d = s->checksum(words);
    check(d->length() == 2 && d[0] == 1 && d[1] == 3, "sequence<string> in, bounded sequence<octet> out");

    check(s->next(Shop::blue) == Shop::red, "enum in and out");
    CORBA::ULongLong mixed = s->mix(1, 'A', L'\u00e9', 2, L"h\u00e9", 3.5, 100, 1000, true);
    check(mixed == 1 + 65 + 0xe9 + 2 + 2 + 3 + 100 + 1000, "every basic type");
    try {
      s->mix(0, 'a', L'a', 0, L"", 0, 0, 0, false);
      check(false, "mix(flag false) raises BAD_PARAM");
    } catch (const CORBA::BAD_PARAM&) {
      check(true, "a system exception chosen by the servant");
    }
  } catch (const CORBA::Exception& e) {
    std::cout << "FAIL: exception " << e._name() << std::endl;
    failures++;
  }
  orb->destroy();
  return failures == 0 ? 0 : 1;
}
