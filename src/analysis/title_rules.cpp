// The header rules that recognise each kind of kernel crash report, and the frame skip lists.
// Written from the kernel's own message formats (lib/bug.c, arch/*/mm/fault.c, mm/kasan/report.c,
// kernel/locking/lockdep.c, kernel/rcu/tree_stall.h, kernel/hung_task.c, kernel/watchdog.c ...).
#include "kdx/analysis/title_rules.hpp"

namespace kdx::analysis {
namespace {

// Rule flags.
constexpr unsigned kWarn = 1;        // not fatal: the machine goes on (warnings, lockdep, sanitizer notes)
constexpr unsigned kPanicOnly = 2;   // a bare "Kernel panic" line: used only when no other report exists
constexpr unsigned kCorrupted = 8;   // this header only appears in a report that lost its real header
constexpr unsigned kInside = 16;     // a message that can sit inside another report without ending it

// One row of the rule table. skip: extra name fragments (unanchored regex) this kind of report
// never blames, on top of the global skip list.
struct RuleSpec {
  const char* pattern;
  const char* title;
  const char* type;
  int frame_group = 0;
  FramePolicy policy = FramePolicy::Generic;
  unsigned flags = 0;
  const char* skip = nullptr;
};

using P = FramePolicy;

// The rule table, in priority order for a given line.
const RuleSpec kRules[] = {
    // Sanitizers: the header names the bug kind and usually the function.
    {R"(BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in ([^ ]+))", "KASAN: invalid-free in {F}",
     "KASAN-INVALID-FREE", 1, P::Generic, 0, "slab_|kfree|vunmap|vfree"},
    {R"(BUG: KASAN: ([a-z\-]+) in ([^ ]+))", "KASAN: $1{A} in {F}", "KASAN", 2, P::Generic, 0,
     "kernel_fault|tag_check|mem_abort|^el1_|^el1h_"},
    {R"(BUG: KASAN: ([a-z\-]+) on address)", "KASAN: $1{A}", "KASAN", 0, P::None},
    {R"(BUG: KFENCE: ([a-z\- ]+?) in ([^ ]+))", "KFENCE: $1 in {F}", "KFENCE", 2},
    {R"(BUG: KMSAN: ([a-z\-]+) in ([^ ]+))", "KMSAN: $1 in {F}", "KMSAN", 2, P::Generic, 0,
     "alloc_skb|netlink_ack|netlink_rcv_skb|_encrypt$|^(?:crypto|cipher|drbg|rng)_"},
    // KCSAN names both racing functions ("data-race in a / b"); the header is the title.
    {R"(BUG: KCSAN: (.*?)\s*$)", "KCSAN: $1", "KCSAN", 0, P::None, kWarn},
    {R"(UBSAN: Undefined behaviour in)", "UBSAN: undefined-behaviour in {F}", "UBSAN", 0, P::Generic, kWarn,
     "ubsan|overflow"},
    {R"(UBSAN: ([a-z\-]+) in)", "UBSAN: $1 in {F}", "UBSAN", 0, P::Generic, kWarn, "ubsan|overflow"},
    // Old SLUB-debug KASAN reports whose header was lost: only the allocation/free note is left.
    {R"(^INFO: (Freed|Allocated) in (.*))", "INFO: $1 in $2", "KASAN", 0, P::None, kWarn | kCorrupted},
    // Memory faults (x86 show_fault_oops, arm64 die_kernel_fault, arm __do_kernel_fault, powerpc).
    {R"(BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference))",
     "BUG: unable to handle kernel NULL pointer dereference in {F}", "NULL-POINTER-DEREFERENCE"},
    {R"(BUG: unable to handle (?:kernel paging request|page fault for address))",
     "BUG: unable to handle kernel paging request in {F}", "MEMORY_SAFETY_BUG"},
    {R"(Unable to handle kernel NULL pointer dereference at virtual address)",
     "BUG: unable to handle kernel NULL pointer dereference in {F}", "NULL-POINTER-DEREFERENCE"},
    {R"(Unable to handle kernel access to user memory)",
     "BUG: unable to handle kernel access to user memory in {F}", "MEMORY_SAFETY_BUG"},
    {R"(Unable to handle kernel (?:paging request|read from unreadable memory|write to read-only memory|execute from non-executable memory|access to user memory[a-z ]*) at virtual address)",
     "BUG: unable to handle kernel paging request in {F}", "MEMORY_SAFETY_BUG"},
    {R"(BUG: Kernel NULL pointer dereference (?:on read |on write )?at)",
     "BUG: unable to handle kernel NULL pointer dereference in {F}", "NULL-POINTER-DEREFERENCE"},
    {R"(BUG: Unable to handle kernel (?:data access|instruction fetch))",
     "BUG: unable to handle kernel paging request in {F}", "MEMORY_SAFETY_BUG"},
    {R"(BUG: unable to handle kernel\s*$)", "BUG: unable to handle kernel", "MEMORY_SAFETY_BUG", 0, P::None},
    // "traps: comm[pid] general protection fault ip:..." is a user-space fault, not an oops.
    {R"(^(?!.*traps: ).*general protection fault)", "general protection fault in {F}", "DoS"},
    {R"(stack segment: [0-9a-f]{4})", "stack segment fault in {F}", "DoS"},
    {R"(divide(?: |_)error: [0-9a-f]{4})", "divide error in {F}", "DoS"},
    {R"((?:^|Oops: )int3: )", "int3 in {F}", "DoS"},
    {R"(^Unhandled fault: )", "Unhandled fault in {F}", "DoS"},
    {R"(^Alignment trap: )", "Alignment trap in {F}", "DoS"},
    {R"(PANIC: double fault)", "PANIC: double fault in {F}", "DoS"},
    // Stack overflows are named, like stalls, after the frame a generic dispatcher called.
    {R"(BUG: (?:TASK |IRQ |NMI |)stack guard page was hit)", "BUG: stack guard page was hit in {F}", "DoS", 0,
     P::StallStrict},
    {R"(Kernel panic - not syncing: corrupted stack end)", "kernel panic: corrupted stack end in {F}", "DoS", 0,
     P::Stall, 0, "schedule|retint_kernel"},
    {R"(Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ([^ ]+))",
     "kernel panic: stack is corrupted in {F}", "DoS", 1, P::Generic, 0, "stack_chk"},
    {R"(Kernel panic - not syncing: kernel stack overflow)", "kernel stack overflow in {F}", "DoS", 0, P::Stall, 0,
     "bad_stack"},
    {R"(Bad mode in .* handler detected)", "kernel panic: bad mode", "DoS", 0, P::None},
    {R"(rust_kernel: panicked at)", "{NEXT} in {F}", "BUG"},
    // Trusty (Android secure OS) panics forwarded to the kernel console.
    {R"(trusty: panic \(.*?\):(?: DEBUG)? ASSERT FAILED at \(.*?\): (.+))", "trusty: ASSERT FAILED: $1", "BUG", 0,
     P::None},
    {R"(trusty: panic.* ASSERT FAILED.*: *(.*))", "trusty: ASSERT FAILED: $1", "BUG", 0, P::None, kCorrupted},
    {R"(trusty: panic \(.*?\): (.+))", "trusty: panic: $1", "BUG", 0, P::None},
    {R"(kernel BUG at lib/list_debug.c)", "BUG: corrupted list in {F}", "BUG"},
    {R"(kernel BUG at )", "kernel BUG in {F}", "BUG", 0, P::Generic, 0, "^skb_"},
    {R"(invalid opcode: [0-9a-f]{4})", "invalid opcode in {F}", "BUG"},
    {R"(^Kernel BUG (.*))", "kernel BUG $1", "BUG", 0, P::None},
    // Lockdep and other locking checkers (kernel/locking/lockdep.c, spinlock_debug.c).
    {R"((?:WARNING|INFO): possible circular locking dependency detected)", "possible deadlock in {F}", "LOCKDEP", 0,
     P::LockSites, kWarn, "process_one_work|flush_workqueue|drain_workqueue|destroy_workqueue"},
    {R"((?:WARNING|INFO): possible (?:recursive locking|irq lock inversion dependency) detected)",
     "possible deadlock in {F}", "LOCKDEP", 0, P::Generic, kWarn},
    {R"(WARNING: (?:SOFT|HARD)IRQ-safe -> (?:SOFT|HARD)IRQ-unsafe lock order detected)", "possible deadlock in {F}",
     "LOCKDEP", 0, P::BecameAt, kWarn},
    {R"((?:WARNING|INFO): inconsistent lock state)", "inconsistent lock state in {F}", "LOCKDEP", 0, P::Generic,
     kWarn},
    {R"((?:WARNING|INFO): suspicious RCU usage)", "WARNING: suspicious RCU usage in {F}", "LOCKDEP", 0, P::Generic,
     kWarn, "rcu|kmem|slab"},
    {R"((?:WARNING|BUG): bad unlock balance detected)", "BUG: bad unlock balance in {F}", "LOCKDEP", 0, P::Generic,
     kWarn},
    {R"(\[ BUG: held lock freed! \]|^BUG: held lock freed)", "BUG: held lock freed in {F}", "LOCKDEP", 0,
     P::Generic, kWarn},
    {R"(WARNING: held lock freed)", "WARNING: held lock freed in {F}", "LOCKDEP", 0, P::Generic, kWarn},
    {R"(WARNING: [Nn]ested lock was not taken)", "WARNING: nested lock was not taken in {F}", "LOCKDEP", 0,
     P::Generic, kWarn},
    {R"(BUG: Invalid wait context)", "WARNING: locking bug in {F}", "LOCKDEP", 0, P::Generic, kWarn,
     "lock_sock|release_sock"},
    {R"((?:WARNING|BUG): lock held when returning to user space)",
     "BUG: lock held when returning to user space in {F}", "LOCKDEP", 0, P::Generic, kWarn},
    // Exiting with locks held: the first held lock's site.
    {R"((BUG|WARNING): .*still has locks held!)", "$1: still has locks held in {F}", "LOCKDEP", 0, P::Generic, kWarn},
    {R"(INFO: trying to register non-static key)", "INFO: trying to register non-static key in {F}", "LOCKDEP", 0,
     P::Generic, kWarn, "stack|lock|IRQ"},
    {R"(BUG: (MAX_[A-Z_]+ too low!))", "BUG: $1", "LOCKDEP", 0, P::None, kWarn},
    {R"(BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|bad magic|wrong owner|wrong CPU|cpu recursion))",
     "BUG: $1 $2 in {F}", "LOCKDEP", 0, P::Generic, 0, "spin_|_lock|_unlock"},
    // Atomic-context checks (kernel/sched/core.c, lib/smp_processor_id.c).
    {R"(BUG: sleeping function called from invalid context)",
     "BUG: sleeping function called from invalid context in {F}", "ATOMIC_SLEEP", 0, P::Generic, kWarn},
    {R"(BUG: scheduling while atomic)", "BUG: scheduling while atomic in {F}", "ATOMIC_SLEEP", 0, P::Generic, kWarn,
     "schedule"},
    {R"(BUG: using ([a-z_]+\(\)) in preemptible)", "BUG: using $1 in preemptible code in {F}", "ATOMIC_SLEEP", 0,
     P::Generic, kWarn, "dump_stack|preempt|debug_|processor_id|this_cpu"},
    {R"(BUG: workqueue leaked lock or atomic)", "BUG: workqueue leaked lock or atomic in {F}", "ATOMIC_SLEEP", 0,
     P::Generic, kWarn},
    // Hangs (kernel/watchdog.c, kernel/rcu/tree_stall.h, kernel/hung_task.c).
    {R"(BUG: soft lockup)", "BUG: soft lockup in {F}", "HANG", 0, P::Stall},
    {R"(INFO: rcu_(?:sched|preempt|bh|tasks)(?: self-detected stall| detected stall| detected expedited stall)|INFO: rcu detected stall)",
     "INFO: rcu detected stall in {F}", "HANG", 0, P::Stall},
    {R"(INFO: task .* blocked for more than [0-9]+ seconds)", "INFO: task hung in {F}", "HANG", 0, P::Hung, kWarn},
    {R"(BUG: workqueue lockup)", "BUG: workqueue lockup", "HANG", 0, P::None, kWarn},
    {R"(INFO: task .* can't die for more than .* seconds)", "INFO: task can't die in {F}", "HANG", 0, P::Generic,
     kWarn, "schedule"},
    {R"(unregister_netdevice: waiting for .* to become free)", "unregister_netdevice: waiting for DEV to become free",
     "HANG", 0, P::None, kWarn | kInside},
    // mm consistency checks.
    {R"(BUG: Bad page (state|cache))", "BUG: Bad page $1 in {F}", "BUG", 0, P::Generic, kWarn},
    {R"(BUG: Bad page map)", "BUG: Bad page map", "BUG", 0, P::None, kWarn},
    {R"(BUG: Bad rss-counter state)", "BUG: Bad rss-counter state", "BUG", 0, P::None, kWarn},
    {R"(BUG: (non-zero nr_p(?:te|md)s on freeing mm))", "BUG: $1", "BUG", 0, P::None, kWarn},
    // Old VFS sanity messages that mean a use-after-free of a file or inode.
    {R"(VFS: Close: file count is 0)", "VFS: Close: file count is zero (use-after-free)", "MEMORY_SAFETY_BUG", 0,
     P::None, kWarn},
    {R"(VFS: Busy inodes after unmount)", "VFS: Busy inodes after unmount (use-after-free)", "MEMORY_SAFETY_BUG", 0,
     P::None, kWarn},
    {R"(BUG: Dentry .* still in use .*\[unmount of)", "BUG: Dentry still in use in unmount", "BUG", 0, P::None, kWarn},
    {R"(BUG: Dentry .* still in use)", "BUG: Dentry still in use in {F}", "BUG", 0, P::Generic, kWarn},
    {R"(BUG: bad usercopy|usercopy: [Kk]ernel memory (?:exposure|overwrite) attempt detected)",
     "BUG: bad usercopy in {F}", "MEMORY_SAFETY_BUG", 0, P::Generic, 0, "usercopy|__check"},
    {R"(^BUG [^ ]+ \(.*\): Object already free)", "BUG: Object already free", "MEMORY_SAFETY_BUG", 0, P::None, kWarn},
    {R"(^BUG: memory leak|^unreferenced object 0x)", "memory leak in {F}", "LEAK", 0, P::Leak, kWarn},
    // Stack unwinder complaints (arch/x86/kernel/unwind_frame.c). With hashed pointers printed as
    // "(ptrval)" instead of an address, syzkaller folds both into one title.
    {R"(WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([a-z]+)' value)",
     "WARNING: kernel stack regs has bad '$1' value", "WARNING", 0, P::None, kWarn},
    {R"(WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value)",
     "WARNING: kernel stack frame pointer has bad value", "WARNING", 0, P::None, kWarn},
    {R"(WARNING: kernel stack regs .* has bad 'bp' value|WARNING: kernel stack frame pointer .* has bad value)",
     "WARNING: kernel stack regs has bad value", "WARNING", 0, P::None, kWarn},
    // WARN(): "WARNING: CPU: 1 PID: 2 at file.c:12 func+0x1/0x2" (also the pre-4.x forms).
    {R"(WARNING: (?:CPU: [0-9]+ PID: -?[0-9]+ )?at ([^ ]+)(?: ([^ (]+))?)", "WARNING{W} in {F}", "WARNING", 2,
     P::Generic, kWarn},
    // 6.18+: "WARNING: fs/dcache.c:829 at fast_dput+0x334/0x430, CPU#0: comm/pid".
    {R"(WARNING: ([^ ]+:[0-9]+) at ([^ ,]+), CPU#)", "WARNING{W} in {F}", "WARNING", 2, P::Generic, kWarn},
    {R"(^SYZFAIL: (.*))", "SYZFAIL: $1", "SYZ_FAILURE", 0, P::None, kWarn},
    // Any other one-line "WARNING: msg" is a report, except the kernel's and userspace's known
    // informational messages that borrow the word.
    {R"(^WARNING: (?!/etc/ssh/moduli does not exist|[Tt]he mand mount option|Unsupported flag value|Unprivileged eBPF is enabled|kernel not compiled with CPU_SRSO|Spectre v2 mitigation leaves CPU vulnerable|workqueue cpumask: online intersect|fbcon: Driver '[^']*' missed to adjust)([^:]+)$)",
     "WARNING: $1", "WARNING", 0, P::None, kWarn},
    // A header cut right after its first word.
    {R"(^(BUG|WARNING|INFO):\s*$)", "$1: corrupted", "UNKNOWN", 0, P::None, kWarn | kCorrupted},
    // Arm "Internal error: Oops" without a preceding fault line.
    {R"(^Internal error: ([A-Za-z ]+)(?: - ([A-Za-z ]+))?: )", "Internal error in {F}", "DoS"},
    {R"(Kernel panic - not syncing: Couldn't open N_TTY ldisc)", "kernel panic: Couldn't open N_TTY ldisc", "DoS", 0,
     P::None, kPanicOnly},
    {R"(Kernel panic - not syncing: ?(.*?)(?: \.\.\.)?\s*$)", "kernel panic: $1", "DoS", 0, P::None, kPanicOnly},
};

std::vector<HeaderRule> build_rules() {
  std::vector<HeaderRule> out;
  for (const RuleSpec& s : kRules) {
    HeaderRule r;
    r.pattern = std::regex(s.pattern, std::regex::ECMAScript | std::regex::optimize);
    r.title = s.title;
    r.type = s.type;
    r.frame_group = s.frame_group;
    r.policy = s.policy;
    r.fatal = !(s.flags & kWarn);
    r.panic_only = s.flags & kPanicOnly;
    r.corrupted = s.flags & kCorrupted;
    r.inside_other = s.flags & kInside;
    if (s.skip) r.skip = std::regex(s.skip, std::regex::ECMAScript | std::regex::optimize);
    out.push_back(std::move(r));
  }
  return out;
}

const std::regex& skip_regex() {
  static const std::regex re(
      // reporting and oops/trap plumbing
      "^(dump_stack(_lvl)?|__dump_stack|show_stack|show_trace_log_lvl|show_regs|printk|_printk|vprintk.*|"
      "panic|nmi_panic|__warn.*|warn_slowpath.*|report_bug|fixup_bug|do_trap|do_error_trap|"
      "do_invalid_op|invalid_op|handle_bug|exc_invalid_op|asm_exc_invalid_op|do_int3|exc_int3|"
      "die|__die|__die_body|oops_end|oops_begin|no_context|__bad_area.*|bad_area.*|__do_page_fault|"
      "do_page_fault|page_fault|exc_page_fault|asm_exc_page_fault|do_user_addr_fault|do_kern_addr_fault|"
      "handle_page_fault|kernelmode_fixup_or_oops|page_fault_oops|do_general_protection|general_protection|"
      "exc_general_protection|asm_exc_general_protection|do_mem_abort|el1_abort|el1h_64_sync.*|el1_sync.*|"
      "__do_kernel_fault|die_kernel_fault|do_translation_fault|do_bad_area|el1_da|el1_dbg|"
      "do_debug_exception|brk_handler|bug_handler|bug_brk_handler|call_break_hook|do_undefinstr|"
      "arm64_notify_die|do_DataAbort|do_PrefetchAbort|__dabt_svc|__pabt_svc|"
      "machine_kexec|__crash_kexec|crash_kexec|panic_bad_stack|handle_stack_overflow|"
      "exc_double_fault|asm_exc_double_fault|do_double_fault|double_fault|"
      "print_.*|describe_object.*|__print_.*|lockdep_print.*|debug_show_.*|"
      "check_preemption_disabled|debug_smp_processor_id|__this_cpu_preempt_check|"
      "__might_sleep|___might_sleep|__might_resched|__might_fault|might_fault|__cant_sleep|"
      "refcount_.*|__refcount_.*|kobject_(add|add_internal|init|put|release|uevent|get)|"
      "debug_object.*|debug_print_object|__debug_object.*|debug_check_no_.*|"
      // sanitizers
      "kasan_.*|__kasan_.*|check_memory_region.*|memory_is_poisoned.*|__asan_.*|asan_.*|"
      "kmsan_.*|__msan_.*|kfence_.*|__kfence_.*|ubsan_.*|__ubsan_.*|kcsan_.*|__tsan_.*|"
      "save_stack.*|stack_trace_save.*|stack_depot_save.*|__sanitizer_cov_.*|"
      "check_heap_object|__check_heap_object|check_object_size|__check_object_size|usercopy_abort|"
      "check_stack_object|"
      // generic library code a bug passes through: lists, trees, bitops, formatting, thunks
      "__list_.*|list_.*|__hlist_.*|hlist_.*|rb_.*|__rb_.*|rb_erase.*|rb_insert.*|timerqueue_.*_valid|"
      "test_and_.*_bit|_?set_bit|_?clear_bit|__?test_bit|"
      "vsnprintf|vscnprintf|snprintf|scnprintf|sprintf|vsprintf|kvasprintf|kasprintf|string|hex_string|"
      "pointer|format_decode|number|widen_string|hex_dump_to_buffer|print_hex_dump|"
      "__x86_indirect_thunk_.*|__x86_return_thunk|__indirect_thunk_start|_stext|"
      "should_fail.*|__should_fail.*|fail_dump|should_failslab|"
      "dump_backtrace|show_stack|__show_regs|skb_panic|skb_over_panic|skb_under_panic|fortify_panic|"
      "__fortify_panic|__fortify_report|assertfail|__phys_addr|"
      "__hwasan_.*|hwasan_.*|__read_once_.*|__write_once_.*|"
      "_atomic_dec_and_lock.*|atomic_dec_and_.*|"
      "ref_tracker_.*|ida_free|ida_alloc.*|idr_.*|"
      "post_alloc_hook|__set_page_owner|set_page_owner|prep_new_page|get_page_from_freelist|"
      "free_pages.*|__free_pages.*|free_unref_page.*|free_pcp_.*|"
      "stack_trace_consume_entry|arch_stack_walk|"
      "_copy_to_iter|_copy_from_iter|copy_to_iter|copy_from_iter|copyout|copyin|copy_page_to_iter.*|"
      "copy_page_from_iter.*|__copy_to_iter|instrument_copy_.*|"
      "queue_work.*|__queue_work|mod_timer|__mod_timer|del_timer.*|lock_timer_base|try_to_del_timer_sync|"
      "wait_for_completion.*|__wait_for_common|complete|"
      "mutex_optimistic_spin|down_trylock|__down_trylock|"
      "unlock_page|folio_unlock|__folio_unlock|lock_page|__lock_page|folio_lock|__folio_lock.*|"
      "__local_bh_enable_ip|local_bh_enable|_local_bh_enable|"
      "device_.*|device_del|device_add|get_device_parent|put_device|devres_.*|driver_.*|bus_.*|"
      "really_probe|__device_attach.*|__driver_attach|sysfs_.*|kobject_.*|kref_.*|klist_.*|"
      "usb_submit_urb|usb_start_wait_urb|usb_control_msg|usb_bulk_msg|usb_interrupt_msg|usb_kill_urb|"
      "usb_poison_urb|usb_hcd_.*|usb_internal_control_msg|usb_alloc_urb|usb_free_urb|usb_get_descriptor|"
      "usb_string|__usb_get_extra_descriptor|hid_hw_.*|hid_.*report.*|"
      "__kobject_.*|kobject_cleanup|mark_buffer_dirty.*|__mark_inode_dirty|mark_inode_dirty.*|__brelse|brelse|"
      "rollback_registered.*|unregister_netdevice_many.*|unregister_netdevice_queue|"
      "proc_register|proc_create.*|__proc_create|proc_mkdir.*|"
      "look_up_lock_class|hlock_class|check_flags.*|debug_locks_off|__lock_downgrade|lock_downgrade|"
      "console_lock|console_unlock|console_trylock|"
      "__task_rq_lock|task_rq_lock|get_taint|add_taint|"
      "__schedule|schedule|schedule_timeout|preempt_schedule.*|_cond_resched|__cond_resched.*|schedule_idle|"
      "mark_held_locks|valid_state|print_usage_bug|mark_lock_irq|check_irq_usage|check_usage.*|"
      "trace_hardirqs_.*|lockdep_hardirqs_.*|__flush_work|flush_work|__cancel_work_timer|cancel_work_sync|"
      "cancel_delayed_work_sync|__cancel_work.*|__try_to_del_timer_sync|__del_timer.*|timer_delete.*|"
      "__timer_delete.*|insert_work|__queue_delayed_work|queue_delayed_work_on|"
      "__filemap_get_folio|filemap_get_folio|pagecache_get_page|__page_pool_.*|page_pool_.*|alloc_pages_bulk.*|"
      "iput|iput_final|evict|dput|__dput|fast_dput|simple_copy_to_iter|"
      "_*kmalloc.*|_R.*rust_begin_unwind.*|_R.*panic.*|rust_helper_.*|__bad_stack|__stack_chk_fail|df_debug|"
      "check_panic_on_warn|panic_saved_regs|debug_check_no_locks_freed|kmem_cache_free|kmem_cache_free_bulk|"
      "__sk_destruct|sk_destruct|__sk_free|sk_free|sock_put|__sock_put|"
      "sk_stop_timer.*|sk_reset_timer|free_large_kmalloc|__kfree.*|kfree_.*|"
      "kernel_fpu_begin.*|skb_put|skb_push|skb_pull|__skb_put|__skb_push|kfree_skb.*|__kfree_skb|"
      "kfree_skbmem|warn_alloc|handle_overflow|ubsan_epilogue|val_to_string|__schedule_bug|__panic|"
      "handle_bad_stack|do_tag_check_fault|do_tag_recovery|report_tag_fault|"
      "dev_vprintk_emit|dev_printk_emit|_dev_info|_dev_err|_dev_warn|_dev_notice|__dev_printk|dev_printk|"
      "lock_sock.*|release_sock|__lock_sock|__release_sock|"
      "alloc_.*_noprof|__alloc_.*_noprof|.*_noprof|"
      "rust_helper_BUG|rust_begin_unwind|.*panic_fmt.*|.*rust_panic.*|"
      // string and memory helpers
      "memcpy|memmove|memset|__memcpy|__memset|__memmove|memcmp|__memcpy_.*|memcpy_.*|memset_.*|"
      "str(len|nlen|cpy|ncpy|lcpy|scpy|cmp|ncmp|cat|ncat|chr|rchr|str|nstr|sep|dup|casecmp|ncasecmp)|"
      "__str.*|__mem.*|crc_.*|crc32.*|"
      "kstrdup|kstrndup|kmemdup|kmemdup_nul|"
      "copy_user.*|_copy_to_user|_copy_from_user|copy_to_user|copy_from_user|__copy_user.*|"
      "raw_copy_.*|__get_user.*|__put_user.*|rep_movs_alternative|copy_user_generic.*|"
      "csum_partial.*|__arch_copy_.*|__memcpy_fromio|__memcpy_toio|"
      // locking primitives
      "_raw_spin_.*|raw_spin_.*|_raw_read_.*|_raw_write_.*|__raw_.*|do_raw_.*|spin_.*|"
      "queued_spin_lock_slowpath|native_queued_spin_lock_slowpath|queued_read_lock.*|queued_write_lock.*|"
      "__mutex_lock.*|mutex_lock.*|mutex_unlock.*|__mutex_unlock.*|mutex_trylock.*|"
      "down_read.*|down_write.*|up_read|up_write|__down.*|down|up|rwsem_.*|__rwsem.*|"
      "lock_acquire|lock_release|__lock_acquire|lock_acquired|lock_contended|lockdep_.*|"
      "register_lock_class|mark_lock.*|validate_chain|check_prev_add.*|check_prevs_add|"
      "check_noncircular|__lock_release|lock_is_held.*|__lock_is_held|"
      "rcu_lock_.*|rcu_read_lock.*|rcu_read_unlock.*|__rcu_read_.*|"
      // allocators
      "kmalloc.*|__kmalloc.*|kmem_cache_alloc.*|kfree|kvfree|kzalloc.*|kcalloc|krealloc.*|"
      "__do_kmalloc.*|slab_alloc.*|slab_free.*|___slab_alloc|__slab_alloc|__slab_free|"
      "alloc_pages.*|__alloc_pages.*|vmalloc.*|__vmalloc.*|vzalloc.*|kvmalloc.*|kvzalloc.*|"
      "__get_free_pages|get_zeroed_page|kmalloc_slab|kmalloc_large.*|kmalloc_order.*|"
      "____cache_alloc.*|__cache_alloc.*|cache_alloc_refill|kmem_cache_alloc_trace|"
      "kmem_cache_alloc_node.*|__kmem_cache_alloc.*|slab_post_alloc_hook|"
      // syscall and kernel-thread entry
      "entry_SYSCALL.*|entry_SYSENTER.*|do_syscall_.*|do_fast_syscall_.*|"
      "ret_from_fork.*|kthread|__ret_from_fork|"
      "el0_svc.*|el0t_.*|do_el0_svc|invoke_syscall|"
      ")$",
      std::regex::ECMAScript | std::regex::optimize);
  return re;
}

// Name fragments that mark a frame as plumbing wherever they occur in the name, the way
// syzkaller's report parser matches its skip list (unanchored): e.g. any "*write_lock*" wrapper
// (reiserfs_write_lock), "perf_trace_*" tracepoint glue, "*kmalloc*"/"*zalloc*" wrappers, "*panic*".
const std::regex& skip_fragment_regex() {
  static const std::regex re(
      "__sanitizer|__asan|kasan|hwasan|__msan|kmsan|check_memory_region|read_word_at_a_time|"
      "print_address_description|panic|invalid_op|report_bug|fixup_bug|print_report|print_usage_bug|"
      "do_error|_trap$|do_trap|show_stack|dump_stack|walk_stack|dump_backtrace|warn_slowpath|warn_alloc|"
      "warn_bogus|__warn|alloc_page|k?v?[mzc]alloc|krealloc|kmem_cache|allocate_slab|folio_(?:alloc|unlock)|"
      "filemap_alloc_folio|find_or_create_page|read_cache_page|read_cache_folio|grab_cache_page_write_begin|"
      "slab_|debug_object|_is_static_object|__might_fault|print_unlock|imbalance_bug|lockdep|bh_enable|"
      "bh_disable|perf_trace|lock_acquire|lock_release|lock_class|mark_lock|(?:reacquire|mark)_held_locks|"
      "raw_spin_rq|spin_lock|spin_trylock|spin_unlock|read_lock|read_trylock|write_lock|write_trylock|"
      "read_unlock|write_unlock|^down$|down_read|down_write|down_trylock|up_read|up_write|^mutex_|^__mutex_|"
      "^rt_mutex_|owner_on_cpu|osq_lock|osq_unlock|"
      "atomic(?:64)?_(?:dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)|(?:set|clear|change|test)_bit|"
      "__wake_up|^refcount_|^kref_|ref_tracker|"
      "mem(?:cpy|cmp|set|chr|move|dup)|str(?:cmp|ncmp|cpy|lcpy|ncpy|scpy|len|str|nstr|nlen|chr|dup|ndup)|"
      "copy_(?:to|from)_user|copy_(?:to|from)_iter|copy_page_(?:to|from)_iter|copy_folio_to_iter|"
      "put_user|get_user|might_fault|might_sleep|list_(?:add|del|replace|move|splice)|"
      "_indirect_thunk_|string|pointer|snprintf|kv?asprintf|printk|va_format|"
      "dev_(?:info|notice|warn|err|alert|crit|emerg)|del_timer|flush_work|cancel_work_sync|try_to_grab_pending|"
      "(?:flush|drain|destroy)_workqueue|queue_work|finish_wait|kthread_stop|kobject_|add_uevent_var|"
      "device_(?:add|del|unregister|destroy|release|for_each_child|remove_file)|devres_release_all|"
      "unregister_netdev|rollback_registered|sysfs_remove|usb_(?:kill_urb|kill_anchored_urbs|control_msg|"
      "hcd_submit_urb|submit_urb)|wait_for_completion|kfree_skb|(?:read|write)[bwlq]$|^crc[0-9]+|"
      "__might_resched|^iput$|^iput_final$|^ihold$|^klist_|(?:trace|lockdep)_(?:hard|soft)irq|^(?:un)?lock_page|"
      "stack_trace_save|stack_trace_consume_entry|arch_stack_walk|ida_free|do_(?:kernel|translation)_fault|"
      "do_mem_abort|el1_abort|el1h_64_sync|print_tainted|xas_(?:start|load|find)|find_lock_entries|"
      "truncate_inode_pages_range|__phys_addr|__fortify_report|rhashtable_lookup|^get_taint$|^put_device$|"
      "lock_timer_base|__mod_timer|dput|rust_begin_unwind",
      std::regex::ECMAScript | std::regex::optimize);
  return re;
}

}  // namespace

const std::vector<HeaderRule>& header_rules() {
  static const std::vector<HeaderRule> rules = build_rules();
  return rules;
}

bool is_skipped_frame(std::string_view function) {
  std::string f = base_function(function);
  return std::regex_match(f, skip_regex()) || std::regex_search(f, skip_fragment_regex());
}

bool is_wait_frame(std::string_view function) {
  static const std::regex re(
      "^(.*wait.*|.*schedule.*|.*sleep.*|.*completion.*|"
      "__schedule|io_schedule.*|__refrigerator|rcu_gp_kthread|"
      "__flush_work|flush_work|__flush_workqueue|flush_workqueue|context_switch|finish_task_switch.*|"
      "__switch_to.*|__lock_page.*|lock_page.*|folio_lock.*|__folio_lock.*|"
      "down|__down.*|down_.*|rwsem_.*|__mutex_lock.*|mutex_lock.*|percpu_down_.*|"
      "__wait_rcu_gp)$",
      std::regex::ECMAScript | std::regex::optimize);
  std::string f = base_function(function);
  return std::regex_match(f, re);
}

bool is_anchor_frame(std::string_view function) {
  static const std::regex re(
      "^(do_syscall_.*|entry_SYSCALL.*|entry_SYSENTER.*|do_fast_syscall.*|invoke_syscall|el0_svc.*|"
      "system_call.*|sysenter_dispatch|"
      // syscalls that only dispatch to a file's or socket's operation
      "(__x64_|__ia32_|__arm64_|__se_|__do_|ksys_|SyS_|sys_|__sys_|compat_SyS_|__x64_compat_|__ia32_compat_)"
      "(sys_)?(ioctl|read|write|readv|writev|pread64|pwrite64|sendmsg|recvmsg|sendto|recvfrom|"
      "compat_ioctl|splice|sendfile64|poll|ppoll|select|pselect6|epoll_wait|close|mmap|mmap_pgoff)|"
      "__vfs_write|vfs_write|__vfs_read|vfs_read|vfs_ioctl|do_vfs_ioctl|"
      "new_sync_write|new_sync_read|vfs_iter_write|vfs_iter_read|do_iter_write|do_iter_read|"
      "call_write_iter|call_read_iter|do_iter_readv_writev|do_readv|do_writev|"
      "__fput|do_splice_from|do_splice_to|splice_direct_to_actor|"
      "sock_sendmsg|sock_recvmsg|sock_sendmsg_nosec|sock_recvmsg_nosec|__sock_sendmsg|sock_write_iter|"
      "sock_read_iter|sock_ioctl|sock_do_ioctl|"
      "rtnetlink_rcv_msg|genl_rcv_msg|genl_family_rcv_msg.*|nfnetlink_rcv_msg|nfnetlink_rcv_batch|"
      "netlink_dump|__netlink_dump_start|"
      "irq_exit|irq_exit_rcu|__irq_exit_rcu|run_ksoftirqd|"
      "call_timer_fn|expire_timers|tasklet_action_common|tasklet_action|tasklet_hi_action|"
      "__netif_receive_skb_one_core|__netif_receive_skb_core|__netif_receive_skb_list_core|"
      "process_one_work|worker_thread|kthread|ret_from_fork|cpu_startup_entry|do_idle|"
      "rcu_do_batch|task_work_run|hrtimer_run_softirq|hrtimer_run_queues|run_timer_softirq|__run_timers|"
      "smpboot_thread_fn|start_secondary|ret_fast_syscall|exit_to_usermode.*|"
      "do_mmap|mmap_region|vm_mmap_pgoff|__do_fault|call_mmap|do_dentry_open|vfs_open|blkdev_ioctl|"
      "blkdev_driver_ioctl|"
      // socket calls whose callee names the protocol
      "(__x64_|__ia32_|__arm64_|__se_|__do_|__sys_|SyS_|sys_)*(sys_)?(setsockopt|listen|accept|socketpair|connect)|"
      "sock_common_setsockopt|kernel_setsockopt|kernel_listen|kernel_accept|sk_common_release|sock_mmap|"
      "sock_release|__sock_release|compat_sock_ioctl)$",
      std::regex::ECMAScript | std::regex::optimize);
  std::string f = base_function(function);
  return std::regex_match(f, re);
}

std::string title_function(std::string_view function) {
  std::string f = base_function(function);
  for (std::string_view p : {"__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__se_sys_", "__do_sys_", "__sys_",
                             "SyS_", "__ia32_compat_sys_", "__x64_compat_sys_", "__arm64_compat_sys_",
                             "compat_SyS_", "__se_compat_sys_", "__do_compat_sys_"}) {
    if (f.starts_with(p) && f.size() > p.size()) {
      bool compat = p.find("compat") != std::string_view::npos;
      f = std::string(compat ? "compat_sys_" : "sys_") + f.substr(p.size());
      break;
    }
  }
  if (f.starts_with("smp_call_function")) f = "smp_call_function";
  // An SRCU/RCU grace-period wait is one place to hang however it was spelled.
  if (f == "synchronize_srcu" || f == "__synchronize_srcu" || f == "synchronize_rcu_expedited" ||
      f == "synchronize_sched" || f == "synchronize_rcu_tasks")
    f = "synchronize_rcu";
  return f;
}

}  // namespace kdx::analysis
