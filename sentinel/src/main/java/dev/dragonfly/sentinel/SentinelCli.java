package dev.dragonfly.sentinel; public final class SentinelCli { public static void main(String[] a){} }
