// Hostile inputs: random ORC tables and random stack contents must end every walk cleanly.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>

#include "kdx/unwind/arm64_unwinder.hpp"
#include "kdx/unwind/x86_64_unwinder.hpp"
#include "support/synthetic_stack.hpp"

using namespace kdx::unwind;

namespace {
constexpr uint64_t T = 0xffffffff81000000ull;
constexpr uint64_t kTop = 0xffffc90000010000ull;
constexpr uint64_t kSize = 0x4000;

// Stack words drawn from what confuses unwinders: text addresses, stack addresses, zero, junk.
uint64_t nasty_word(std::mt19937_64& rng, uint64_t text, uint64_t stack_lo) {
  switch (rng() % 5) {
    case 0: return text + rng() % 0x2000;
    case 1: return stack_lo + (rng() % kSize & ~uint64_t{7}) + (rng() % 4 == 0 ? 1 : 0);
    case 2: return 0;
    case 3: return (text & 0x0000ffffffffffffull) | (rng() << 56) | 0x0080000000000000ull;  // PAC-ish
    default: return rng();
  }
}
}  // namespace

TEST(UnwindRobustness, RandomOrcAndStacksTerminate) {
  std::mt19937_64 rng(12345);
  size_t multi_frame_walks = 0;
  std::map<StopReason, int> stops;
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<kdx::test::SynthOrcRow> rows;
    for (int i = 0; i < 40; ++i) {
      kdx::test::SynthOrcRow r;
      r.ip = T + static_cast<uint64_t>(i) * 0x40 + rng() % 0x40;
      r.sp_reg = static_cast<int>(rng() % 16);
      r.bp_reg = static_cast<int>(rng() % 16);
      r.sp_offset = static_cast<int>(static_cast<int16_t>(rng()));
      if (rng() % 2) r.sp_offset = static_cast<int>(rng() % 64) * 8;
      r.bp_offset = -static_cast<int>(rng() % 8) * 8;
      r.type = static_cast<int>(rng() % 4);
      r.end = rng() % 8 == 0;
      rows.push_back(r);
    }
    auto s = kdx::test::write_orc_v1(0xffffffff82000000ull, rows);
    auto table = OrcTable::from_bytes(s.ip_bytes, s.ip_section_addr, s.orc_bytes, OrcFormat::V1);
    ASSERT_TRUE(table);
    OrcTableSet set;
    set.add(std::move(*table));

    kdx::test::FakeMemory mem;
    for (uint64_t a = kTop - kSize; a < kTop; a += 8) mem.write_u64(a, nasty_word(rng, T, kTop - kSize));
    WalkOptions opts;
    opts.stacks = {{kTop - kSize, kTop, "task"}};
    opts.is_kernel_text = [](uint64_t a) { return a >= T && a < T + 0x2000; };
    opts.max_frames = 64;
    RegisterSet ctx;
    for (unsigned r = 0; r < kX86PtRegsCount; ++r) ctx.set(r, nasty_word(rng, T, kTop - kSize));
    ctx.set(kX86Rsp, kTop - kSize + (rng() % kSize & ~uint64_t{7}));
    ctx.set(kX86Cs, 0x10);
    auto w = unwind_x86_64(mem, ctx, &set, opts);
    ASSERT_FALSE(w.frames.empty());
    ASSERT_LE(w.frames.size(), opts.max_frames);
    if (w.frames.size() > 1) ++multi_frame_walks;
    stops[w.stop]++;
    for (size_t i = 1; i < w.frames.size(); ++i)
      if (!w.frames[i].user_mode && w.frames[i].stack_index == w.frames[i - 1].stack_index) {
        ASSERT_GT(w.frames[i].sp, w.frames[i - 1].sp);
      }

    Arm64UnwindConfig cfg;
    cfg.is_exception_entry = [](uint64_t a) { return a >= T + 0x1000 && a < T + 0x1100; };
    RegisterSet actx;
    for (unsigned r = 0; r < kArm64PtRegsCount; ++r) actx.set(r, nasty_word(rng, T, kTop - kSize));
    actx.set(kArm64Sp, kTop - kSize + (rng() % kSize & ~uint64_t{7}));
    actx.set(kArm64Pstate, 0x3c5);
    auto aw = unwind_arm64(mem, actx, cfg, opts);
    ASSERT_FALSE(aw.frames.empty());
    ASSERT_LE(aw.frames.size(), opts.max_frames);
    if (aw.frames.size() > 1) ++multi_frame_walks;
    stops[aw.stop]++;
  }
  // The inputs must actually exercise the unwinders, not stop every walk at once.
  EXPECT_GT(multi_frame_walks, 100u);
  std::string hist;
  for (auto [r, n] : stops) hist += std::string(stop_reason_name(r)) + "=" + std::to_string(n) + " ";
  RecordProperty("stops", hist);
  std::printf("stops: %s multi-frame walks: %zu\n", hist.c_str(), multi_frame_walks);
}
