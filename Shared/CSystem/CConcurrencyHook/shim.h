// The Swift runtime's hook for jobs enqueued on the global concurrent executor
// (swift/Runtime/Concurrency.h). Declared here because Swift code cannot name it, and NIO's
// own take-over finds it with dlsym, which a binary with the runtime linked statically does
// not export.
typedef struct SwiftJob SwiftJob;
typedef void (*swift_task_enqueueGlobal_original)(SwiftJob *job);
typedef void (*swift_task_enqueueGlobal_hook_t)(SwiftJob *job, swift_task_enqueueGlobal_original original);
extern swift_task_enqueueGlobal_hook_t swift_task_enqueueGlobal_hook;

// Installs `hook` (called once, at start-up, before the service starts any work).
static inline void lw_set_enqueue_global_hook(swift_task_enqueueGlobal_hook_t hook) {
    __atomic_store_n(&swift_task_enqueueGlobal_hook, hook, __ATOMIC_SEQ_CST);
}
