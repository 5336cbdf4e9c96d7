{
  "targets": [{
    "target_name": "torch_step",
    "sources": ["torch_step.cc"],
    "include_dirs": ["/usr/include/torch/csrc/api/include"],
    "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-fno-math-errno", "-ffp-contract=off", "-Wno-unused-parameter"]
  }]
}
