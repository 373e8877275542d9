#include "server/optimize/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CELLFIT_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CELLFIT_FIBER_TSAN 1
#endif
// Valgrind's client requests are no-ops outside valgrind; without them its
// memcheck takes a fiber's frames for stray accesses below the stack.
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CELLFIT_FIBER_VALGRIND 1
#endif

namespace cellfit::optimize {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "cellfit::optimize::Fiber: %s\n", what);
  std::abort();
}

}  // namespace

Fiber::Fiber(std::function<void()> body, size_t stack_size)
    : body_(std::move(body)) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  stack_size_ = (stack_size + page - 1) / page * page;
  mapping_size_ = stack_size_ + page;
  void* mapping = mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) Die("cannot map a fiber stack");
  mapping_ = static_cast<char*>(mapping);
  // Stacks grow down: the guard page sits at the low end.
  if (mprotect(mapping_, page, PROT_NONE) != 0) Die("cannot guard a stack");
  stack_ = mapping_ + page;
#if defined(CELLFIT_FIBER_VALGRIND)
  valgrind_stack_id_ = VALGRIND_STACK_REGISTER(stack_, stack_ + stack_size_);
#endif
#if defined(CELLFIT_FIBER_TSAN)
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Fiber::~Fiber() {
  if (started_ && !finished_) Die("destroyed while paused");
#if defined(CELLFIT_FIBER_TSAN)
  __tsan_destroy_fiber(tsan_fiber_);
#endif
#if defined(CELLFIT_FIBER_VALGRIND)
  VALGRIND_STACK_DEREGISTER(valgrind_stack_id_);
#endif
  munmap(mapping_, mapping_size_);
}

void Fiber::Entry(unsigned high, unsigned low) {
  // makecontext passes int arguments only, so the pointer comes in halves.
  const uintptr_t address =
      (static_cast<uintptr_t>(high) << 32) | static_cast<uintptr_t>(low);
  reinterpret_cast<Fiber*>(address)->Run();
}

void Fiber::Run() {
#if defined(CELLFIT_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, &owner_stack_bottom_,
                                  &owner_stack_size_);
#endif
  body_();
  finished_ = true;
  SwitchToOwner(/*final_switch=*/true);
  Die("finished fiber resumed");
}

void Fiber::Resume() {
  if (finished_) Die("resumed after finishing");
  if (!started_) {
    if (getcontext(&fiber_context_) != 0) Die("getcontext failed");
    fiber_context_.uc_stack.ss_sp = stack_;
    fiber_context_.uc_stack.ss_size = stack_size_;
    fiber_context_.uc_link = nullptr;  // Run never returns
    const uintptr_t address = reinterpret_cast<uintptr_t>(this);
    makecontext(&fiber_context_, reinterpret_cast<void (*)()>(&Fiber::Entry), 2,
                static_cast<unsigned>(address >> 32),
                static_cast<unsigned>(address & 0xffffffffu));
    started_ = true;
  }
  SwitchToFiber();
}

void Fiber::Yield() { SwitchToOwner(/*final_switch=*/false); }

void Fiber::SwitchToFiber() {
#if defined(CELLFIT_FIBER_TSAN)
  tsan_owner_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
#if defined(CELLFIT_FIBER_ASAN)
  __sanitizer_start_switch_fiber(&owner_fake_stack_, stack_, stack_size_);
#endif
  if (swapcontext(&owner_context_, &fiber_context_) != 0) {
    Die("swapcontext failed");
  }
#if defined(CELLFIT_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(owner_fake_stack_, nullptr, nullptr);
#endif
}

void Fiber::SwitchToOwner(bool final_switch) {
#if defined(CELLFIT_FIBER_TSAN)
  __tsan_switch_to_fiber(tsan_owner_, 0);
#endif
#if defined(CELLFIT_FIBER_ASAN)
  // A fiber leaving for good passes no fake-stack slot, so ASan frees it.
  __sanitizer_start_switch_fiber(final_switch ? nullptr : &fiber_fake_stack_,
                                 owner_stack_bottom_, owner_stack_size_);
#endif
  if (final_switch) {
    setcontext(&owner_context_);
    Die("setcontext failed");
  }
  if (swapcontext(&fiber_context_, &owner_context_) != 0) {
    Die("swapcontext failed");
  }
#if defined(CELLFIT_FIBER_ASAN)
  // Back in the fiber, possibly resumed from another thread: note the new
  // owner's stack.
  __sanitizer_finish_switch_fiber(fiber_fake_stack_, &owner_stack_bottom_,
                                  &owner_stack_size_);
#endif
}

}  // namespace cellfit::optimize
