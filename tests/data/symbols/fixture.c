/* Symbolizer test fixture: known types, lines and an inline chain; compiled with -gdwarf-4 and -gdwarf-5. */
/* Run it to print the compiler's own offsetof/sizeof values, which the tests compare with kdx. */
#include <stddef.h>
#include <stdio.h>

struct fixture_list { struct fixture_list *next, *prev; };
typedef struct { int counter; } fixture_atomic_t;
typedef unsigned long long fixture_u64;
enum fixture_state { FS_RUNNING, FS_SLEEPING = 4, FS_DEAD };

struct fixture_sched { fixture_u64 exec_start; fixture_u64 sum; int prio; };

struct fixture_plain {
  unsigned long flags;
  const char *name;
  char comm[16];
  struct fixture_list tasks;
  fixture_atomic_t usage;
  enum fixture_state state;
  unsigned int bit_a : 3;
  unsigned int bit_b : 5;
  void (*callback)(struct fixture_plain *self, int why);
  union { long as_long; void *as_ptr; };
  struct fixture_sched se;
  short grid[2][3];
};

struct fixture_task {
  volatile long state;
  void *stack;
  union {
    struct fixture_list lru;
    struct {
      void *filler;
      unsigned int mlock_count;
    };
  };
  union {
    int i;
    float f;
  } named_u;
  struct fixture_sched se;
  struct fixture_sched slots[3];
  int (*handler)(int, const char *, ...);
  struct fixture_task *parent;
  char * const tag;
  unsigned char data[];
};

union fixture_union { int a; long b; struct fixture_list l; };

struct fixture_plain fixture_plains[2];
struct fixture_task fixture_tasks[4];
union fixture_union fixture_u;
int fixture_counter;

static inline __attribute__((always_inline)) int fixture_inner(int x) {
  __asm__ volatile("fixture_inline_marker: nop"); /* L_INNER */
  return x * 3 + fixture_counter;
}

static inline __attribute__((always_inline)) int fixture_middle(int x) {
  int y = fixture_inner(x + 1); /* L_CALL_INNER */
  return y + 7;
}

__attribute__((noinline)) int fixture_outer(int x) {
  fixture_counter += 2;
  return fixture_middle(x) * 2; /* L_CALL_MIDDLE */
}

__attribute__((noinline)) int fixture_function(int a, int b) {
  fixture_counter += a; /* L_FUNCTION_BODY */
  return fixture_counter * b + fixture_outer(a);
}

#define P(type, member) printf("offset %s %s %zu\n", #type, #member, offsetof(type, member))
int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    P(struct fixture_plain, flags); P(struct fixture_plain, name); P(struct fixture_plain, comm);
    P(struct fixture_plain, tasks); P(struct fixture_plain, tasks.prev); P(struct fixture_plain, usage);
    P(struct fixture_plain, state); P(struct fixture_plain, callback); P(struct fixture_plain, as_long);
    P(struct fixture_plain, as_ptr); P(struct fixture_plain, se); P(struct fixture_plain, se.sum);
    P(struct fixture_plain, grid); P(struct fixture_plain, grid[1][2]);
    P(struct fixture_task, state); P(struct fixture_task, stack); P(struct fixture_task, lru);
    P(struct fixture_task, lru.prev); P(struct fixture_task, filler); P(struct fixture_task, mlock_count);
    P(struct fixture_task, named_u); P(struct fixture_task, named_u.f); P(struct fixture_task, se.exec_start);
    P(struct fixture_task, se.prio); P(struct fixture_task, slots[2].sum); P(struct fixture_task, handler);
    P(struct fixture_task, parent); P(struct fixture_task, tag); P(struct fixture_task, data);
    P(union fixture_union, l.next);
    printf("size struct fixture_plain %zu\n", sizeof(struct fixture_plain));
    printf("size struct fixture_task %zu\n", sizeof(struct fixture_task));
    printf("size union fixture_union %zu\n", sizeof(union fixture_union));
    printf("size fixture_atomic_t %zu\n", sizeof(fixture_atomic_t));
    printf("size struct fixture_sched %zu\n", sizeof(struct fixture_sched));
    return 0;
  }
  return fixture_function(argc, 3);
}
