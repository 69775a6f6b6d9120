package dev.dragonfly.sentinel.check;

/**
 * What a check did about a finding, as written to the audit table.
 *
 * @param subject     what was acted on ({@code batch 42})
 * @param action      what was done ({@code redrive}, {@code force_fail}, {@code reload_schema})
 * @param stateBefore what it was before ({@code staging, heartbeat 2026-…})
 * @param stateAfter  what it is now ({@code uploaded, re-drive 1 of 3})
 */
public record Action(String subject, String action, String stateBefore, String stateAfter) {}
