# tests/behaviour.mk - header dependencies of the behaviour and stress
# programs (tests/behaviour.bats, tests/threads.bats); tests/tests.mk builds
# them like every tests/c/NAME.c.
CORE_VIEW_PROGS = core_firstfit core_split core_coalesce core_realloc core_calloc core_align core_errno
SHIM_PROBE_PROGS = shim_errno shim_align shim_calloc shim_fallback shim_routing shim_served
$(CORE_VIEW_PROGS:%=$(BUILD)/tests/%): tests/c/core_view.h
$(SHIM_PROBE_PROGS:%=$(BUILD)/tests/%): tests/c/shim_probe.h
STRESS_PROGS = shim_threads shim_thread_loop shim_fork shim_exit_race
$(STRESS_PROGS:%=$(BUILD)/tests/%): tests/c/shim_stress.h
