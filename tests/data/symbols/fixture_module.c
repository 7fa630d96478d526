/* A stand-in for a kernel module: compiled to an ET_REL object and relocated by the tests. */
struct fixture_mod_state { long a; int b; };
struct fixture_mod_state fixture_mod_data = {1, 2};
static int fixture_mod_helper(int x) { return x * 5; }
__attribute__((noinline)) int fixture_mod_entry(int x) {
  fixture_mod_data.b += x; /* L_MOD_ENTRY */
  return fixture_mod_helper(x) + fixture_mod_data.b;
}
const char fixture_mod_name[] = "fixture_mod";
char __attribute__((section(".modinfo"))) fixture_modinfo[] = "name=fixture_mod";
