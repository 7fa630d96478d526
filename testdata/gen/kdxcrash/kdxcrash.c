// SPDX-License-Identifier: GPL-2.0
/*
 * kdxcrash: crashes the kernel on purpose so kdx's fixtures are dumps of real crashes.
 * Load with `insmod kdxcrash.ko scenario=NAME`; every scenario ends in a panic (boot with
 * oops=panic). Functions are noinline so each crash has its own frame in the stack trace.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>
#include <linux/kthread.h>
#include <linux/workqueue.h>
#include <linux/list.h>
#include <linux/delay.h>
#include <linux/cache.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/compiler.h>

static char *scenario = "null";
module_param(scenario, charp, 0444);
MODULE_PARM_DESC(scenario, "null|rodata|ro_after_init|hrtimer_uaf|bug_on|list_corrupt|panic|timer_fault|kthread_fault|smp_null");

/* A recognisable object whose fields the golden outputs read back. */
struct kdx_obj {
	unsigned long magic;		/* 0x6b6478636f726521 "kdxcore!" */
	int id;
	struct list_head node;
	struct hrtimer timer;
	char name[16];
};

/* Globals with known values, for `prog[...]` / `rd` checks in the golden outputs. */
unsigned long kdx_magic = 0x6b64786d61676963UL;	/* "kdxmagic" */
EXPORT_SYMBOL(kdx_magic);
static const unsigned long kdx_const_value = 0x636f6e7374UL;	/* in .rodata */
static unsigned long kdx_ro_after_init_value __ro_after_init = 0x524f4149UL;
static LIST_HEAD(kdx_list);
static struct kdx_obj *kdx_live_obj;
static struct timer_list kdx_timer;
static struct delayed_work kdx_work;
static volatile int kdx_spin_stop;

static noinline int kdx_deref(struct kdx_obj *obj)
{
	/* obj is NULL: faults at a small offset (offsetof(struct kdx_obj, id)). */
	return READ_ONCE(obj->id);
}

static noinline void kdx_null_deref(void)
{
	struct kdx_obj *obj = NULL;

	OPTIMIZER_HIDE_VAR(obj);
	pr_info("kdxcrash: dereferencing NULL\n");
	pr_info("kdxcrash: got %d\n", kdx_deref(obj));
}

static noinline void kdx_write_rodata(void)
{
	unsigned long *p = (unsigned long *)&kdx_const_value;

	OPTIMIZER_HIDE_VAR(p);
	pr_info("kdxcrash: writing const object at %px\n", p);
	WRITE_ONCE(*p, 0xdeadUL);
}

static noinline void kdx_write_ro_after_init(struct work_struct *work)
{
	unsigned long *p = &kdx_ro_after_init_value;

	OPTIMIZER_HIDE_VAR(p);
	pr_info("kdxcrash: writing __ro_after_init object at %px\n", p);
	WRITE_ONCE(*p, 0xdeadUL);
}

static enum hrtimer_restart kdx_hrtimer_fn(struct hrtimer *t)
{
	pr_info("kdxcrash: hrtimer fired (should never happen)\n");
	return HRTIMER_NORESTART;
}

static noinline void kdx_hrtimer_uaf(void)
{
	struct kdx_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return;
	obj->magic = 0x6b6478636f726521UL;
	hrtimer_init(&obj->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	obj->timer.function = kdx_hrtimer_fn;
	hrtimer_start(&obj->timer, ms_to_ktime(200), HRTIMER_MODE_REL);
	pr_info("kdxcrash: freeing %px with its hrtimer still queued\n", obj);
	kfree(obj);	/* the bug: no hrtimer_cancel() first */
}

static noinline void kdx_bug_on(int id)
{
	pr_info("kdxcrash: BUG_ON(id != 0), id=%d\n", id);
	BUG_ON(id != 0);
}

static noinline void kdx_list_corrupt(void)
{
	static struct kdx_obj a, b, stray;

	a.id = 1;
	b.id = 2;
	stray.id = 3;
	INIT_LIST_HEAD(&stray.node);
	list_add(&a.node, &kdx_list);
	/*
	 * Corrupt the head's back link so it names a node that is not on the list:
	 * DEBUG_LIST's __list_add_valid() sees prev->next != next and reports it
	 * (a WARN; boot with panic_on_warn=1 to turn it into the panic).
	 */
	kdx_list.prev = &stray.node;
	pr_info("kdxcrash: list_add_tail on a corrupted list\n");
	list_add_tail(&b.node, &kdx_list);
	pr_info("kdxcrash: list corruption was not caught\n");
}

static void kdx_timer_fn(struct timer_list *t)
{
	pr_info("kdxcrash: timer callback in_irq=%d in_softirq=%d\n",
		!!in_hardirq(), !!in_serving_softirq());
	kdx_deref(NULL);
}

static int kdx_thread_fn(void *arg)
{
	struct kdx_obj *obj = arg;

	pr_info("kdxcrash: kthread %s running\n", obj->name);
	msleep(100);
	kdx_deref(NULL);
	return 0;
}

static int kdx_spin_fn(void *arg)
{
	unsigned long n = 0;

	/* Keeps the other CPU busy so the dump catches it mid-work. */
	while (!READ_ONCE(kdx_spin_stop)) {
		n++;
		cpu_relax();
	}
	return (int)n;
}

static int __init kdxcrash_init(void)
{
	pr_info("kdxcrash: scenario=%s kdx_magic=%lx const=%lx ro=%lx\n", scenario,
		kdx_magic, kdx_const_value, kdx_ro_after_init_value);
	kdx_live_obj = kzalloc(sizeof(*kdx_live_obj), GFP_KERNEL);
	if (kdx_live_obj) {
		kdx_live_obj->magic = 0x6b6478636f726521UL;
		kdx_live_obj->id = 42;
		strscpy(kdx_live_obj->name, "kdx-live", sizeof(kdx_live_obj->name));
		list_add(&kdx_live_obj->node, &kdx_list);
	}

	if (!strcmp(scenario, "null")) {
		kdx_null_deref();
	} else if (!strcmp(scenario, "rodata")) {
		kdx_write_rodata();
	} else if (!strcmp(scenario, "ro_after_init")) {
		/* __ro_after_init becomes read-only only after this init returns. */
		INIT_DELAYED_WORK(&kdx_work, kdx_write_ro_after_init);
		schedule_delayed_work(&kdx_work, msecs_to_jiffies(100));
	} else if (!strcmp(scenario, "hrtimer_uaf")) {
		kdx_hrtimer_uaf();
	} else if (!strcmp(scenario, "bug_on")) {
		kdx_bug_on(kdx_live_obj ? kdx_live_obj->id : 7);
	} else if (!strcmp(scenario, "list_corrupt")) {
		kdx_list_corrupt();
	} else if (!strcmp(scenario, "panic")) {
		panic("kdxcrash: deliberate panic (scenario=panic)");
	} else if (!strcmp(scenario, "timer_fault")) {
		timer_setup(&kdx_timer, kdx_timer_fn, 0);
		mod_timer(&kdx_timer, jiffies + msecs_to_jiffies(100));
	} else if (!strcmp(scenario, "kthread_fault")) {
		strscpy(kdx_live_obj->name, "kdx-kthread", sizeof(kdx_live_obj->name));
		kthread_run(kdx_thread_fn, kdx_live_obj, "kdx-kthread");
	} else if (!strcmp(scenario, "smp_null")) {
		struct task_struct *t;
		int other = cpumask_next(smp_processor_id(), cpu_online_mask);

		if (other >= nr_cpu_ids)
			other = cpumask_first(cpu_online_mask);
		t = kthread_create(kdx_spin_fn, NULL, "kdx-spin");
		if (!IS_ERR(t)) {
			kthread_bind(t, other);
			wake_up_process(t);
		}
		msleep(200);
		pr_info("kdxcrash: spinner on CPU %d, faulting on CPU %d\n", other,
			raw_smp_processor_id());
		kdx_null_deref();
	} else {
		pr_err("kdxcrash: unknown scenario %s\n", scenario);
		return -EINVAL;
	}
	return 0;
}

static void __exit kdxcrash_exit(void)
{
	WRITE_ONCE(kdx_spin_stop, 1);
}

module_init(kdxcrash_init);
module_exit(kdxcrash_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kdx test fixture: crashes the kernel on purpose");
