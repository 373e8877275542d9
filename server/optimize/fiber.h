// A minimal stackful coroutine: a function running on its own stack that can
// pause itself (Yield) and be continued (Resume) by whoever owns it.
//
// The NLopt adapter needs it because NLopt calls the objective and waits for
// the value, while a fit learns values a round later: each NLopt run lives in
// a fiber paused inside the objective callback. Fibers switch in well under a
// microsecond on the caller's thread, where a thread per run would cost two
// futex hand-offs per evaluation and a thread per sample.
//
// Built on POSIX ucontext (glibc keeps it fully supported), with the stack
// switches announced to AddressSanitizer and ThreadSanitizer when building
// with them (and registered with valgrind). The body must not throw.
//
// A fiber may be resumed from different threads over its life, one at a
// time. Its code then must not keep the address of a thread-local variable
// across a Yield, since it may wake on another thread: NLopt looks its
// thread-locals up afresh in every call (they live in their own translation
// units), and NloptRun reseeds NLopt's generator after every pause.
#ifndef CELLFIT_SERVER_OPTIMIZE_FIBER_H_
#define CELLFIT_SERVER_OPTIMIZE_FIBER_H_

#include <ucontext.h>

#include <cstddef>
#include <functional>

namespace cellfit::optimize {

class Fiber {
 public:
  // The stack is reserved, not committed: pages are touched as used, and a
  // guard page below it turns an overflow into a fault. Every accepted NLopt
  // algorithm stays under 5 KiB of stack (measured, 4-D), so this leaves a
  // wide margin.
  static constexpr size_t kDefaultStackSize = size_t{256} << 10;

  explicit Fiber(std::function<void()> body,
                 size_t stack_size = kDefaultStackSize);
  // The body must have returned, or never have started: destroying a paused
  // fiber would leak whatever its frames own, so it aborts.
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the body until it yields or returns. Only from outside the fiber,
  // and not once it has finished.
  void Resume();
  // Pauses the body and returns to the Resume that continued it. Only from
  // inside the body.
  void Yield();

  bool started() const { return started_; }
  bool finished() const { return finished_; }

 private:
  static void Entry(unsigned high, unsigned low);
  [[noreturn]] void Run();
  // The two halves of one switch, with the sanitizer notifications.
  void SwitchToFiber();
  void SwitchToOwner(bool final_switch);

  std::function<void()> body_;
  char* mapping_ = nullptr;  // guard page + stack
  size_t mapping_size_ = 0;
  char* stack_ = nullptr;
  size_t stack_size_ = 0;
  ucontext_t fiber_context_;
  ucontext_t owner_context_;
  bool started_ = false;
  bool finished_ = false;

  // Sanitizer bookkeeping (unused in ordinary builds).
  void* owner_fake_stack_ = nullptr;
  void* fiber_fake_stack_ = nullptr;
  const void* owner_stack_bottom_ = nullptr;
  size_t owner_stack_size_ = 0;
  void* tsan_fiber_ = nullptr;
  void* tsan_owner_ = nullptr;
  unsigned valgrind_stack_id_ = 0;
};

}  // namespace cellfit::optimize

#endif  // CELLFIT_SERVER_OPTIMIZE_FIBER_H_
