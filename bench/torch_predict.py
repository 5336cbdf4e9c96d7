#!/usr/bin/env python3
"""PyTorch predict-only rate of the paper network: the model of ../shared/bench/torch_throughput.py (its source,
up to the training part, is executed here so both time the same network), eval mode, batch 1024, timed over
four passes of N random samples after one untimed pass; prints the wall and CPU (all threads) rates.
  /usr/bin/python3 bench/torch_predict.py [N=4096] [THREADS=2]"""
import os, sys, time, torch
N = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, '../../shared/bench/torch_throughput.py')).read()
ns = {}
exec(src[:src.index('m = SpinalCNN()')].replace('torch.set_num_threads(threads)', ''), ns)
torch.set_num_threads(threads)
m = ns['SpinalCNN']().eval()
X = torch.randn(N, 30, 15, 15)
with torch.no_grad():
    for i in range(0, N, 1024): m(X[i:i+1024])
    t = time.time(); c = time.process_time()
    for _ in range(4):
        for i in range(0, N, 1024): m(X[i:i+1024])
dt = time.time() - t; cpu = time.process_time() - c
print(f'torch predict threads={threads} {4*N}: {dt:.2f} s => {4*N/dt:.0f}/s; {cpu:.2f} CPU-s => {4*N/cpu:.0f}/CPU-s')
