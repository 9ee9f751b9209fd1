# Sourced by the bench/run-*.sh scripts that run a PyTorch peer (from the repository root):
#   peer_torch  installs Debian's python3-torch when /usr/bin/python3 cannot import torch;
#   peer_blas_dir sets $blas only;
#   peer_blas   unpacks Debian's OpenBLAS under bench/.peer-blas (not installed) and sets $blas to its directory, for the
#               peer's LD_LIBRARY_PATH (the default libblas.so.3 on a fresh machine is netlib's; bench/run-clip.sh says why).
peer_torch() {
  /usr/bin/python3 -c 'import torch' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch; }
}
peer_blas_dir() { blas=bench/.peer-blas/usr/lib/x86_64-linux-gnu/openblas-pthread; }
peer_blas() {
  peer_blas_dir
  if [ ! -e "$blas/libblas.so.3" ]; then
    mkdir -p bench/.peer-blas
    (cd bench/.peer-blas && apt-get download libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb . && rm -f ./*.deb)
  fi
}
