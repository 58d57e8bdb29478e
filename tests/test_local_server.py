"""scripts/local-server: the llama-server command it runs, without building or fetching anything."""

from __future__ import annotations

import os
import subprocess

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "local-server"

# /proc/cpuinfo's flags line on the Xeon where llama-server segfaulted in ggml_backend_amx_mul_mat
# (cut short), and on one without AMX.
AMX = "flags\t\t: fpu sse2 avx2 avx512f avx512_vnni amx_bf16 avx512_fp16 amx_tile amx_int8\n"
NO_AMX = "flags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n"


def command(tmp_path, cpuinfo: str, *args: str) -> list[str]:
    info = tmp_path / "cpuinfo"
    info.write_text(cpuinfo, encoding="utf-8")
    env = {**os.environ, "SUMMARIZE_LOCAL_SERVER_HOME": str(tmp_path / "home"), "SUMMARIZE_LOCAL_SERVER_CPUINFO": str(info)}
    env.pop("SUMMARIZE_LOCAL_SERVER_MODEL", None)
    done = subprocess.run(["bash", str(SCRIPT), "command", *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "home").exists()  # nothing built, fetched or started
    return done.stdout.split()


def test_a_cpu_with_amx_gets_no_repack(tmp_path):
    argv = command(tmp_path, AMX)
    assert "--no-repack" in argv
    assert argv[argv.index("--alias") + 1] == "Qwen2.5-Coder-1.5B-Instruct"


def test_a_cpu_without_amx_keeps_llama_cpp_repacking(tmp_path):
    argv = command(tmp_path, NO_AMX, "--model", "qwen-0.5b")
    assert "--no-repack" not in argv
    assert argv[argv.index("--alias") + 1] == "Qwen2.5-Coder-0.5B-Instruct" and argv[argv.index("--port") + 1] == "PORT"
