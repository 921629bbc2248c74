# ruff: noqa: E501  (long literal predictions, kept one per line)
"""Dev-time only: score the hand-made predictions with WirelessBench's own code.

Run once with a WirelessBench checkout (its benchmarks/ folder) to regenerate
wirelessbench_agreement.json; the tests only read that file:

    python tests/data/make_wirelessbench_agreement.py PATH/TO/WirelessBench
"""

import json
import sys
import types
from pathlib import Path

R = sys.argv[1]
# Their modules import logging/IO helpers the scoring never uses; stand-ins let them import.
for name in ["scripts", "scripts.logs", "scripts.utils", "scripts.utils.common", "aiofiles", "pandas", "tqdm", "tqdm.asyncio"]:
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["scripts.logs"].logger = None
sys.modules["scripts.utils.common"].write_json_file = None
sys.modules["scripts.utils.common"].read_json_file = None
sys.modules["tqdm.asyncio"].tqdm_asyncio = None
sys.path.insert(0, R)
from benchmarks.wcmsa import WCMSABenchmark  # noqa: E402
from benchmarks.wcns import WCNSBenchmark  # noqa: E402

wcns_exp = [
 {"slice_type": "URLLC", "cqi": 15, "bandwidth": 5.0, "throughput": 75.68},
 {"slice_type": "eMBB", "cqi": 12, "bandwidth": 6.92, "throughput": 83.5},
 {"slice_type": "eMBB", "cqi": 9, "bandwidth": 20.0, "throughput": 190.3},
]
wcns_preds = [
 (0, "CQI: 15\nSlice Type: URLLC\nBandwidth: 5.00 MHz\nThroughput: 75.68 Mbps"),
 (0, "CQI: 14\nSlice Type: URLLC\nBandwidth: 5.2 MHz\nThroughput: 73 Mbps"),
 (0, "The service needs low latency, so eMBB is wrong; I pick URLLC. CQI = 13. Allocated 2.5 MHz. Rate: 40.1"),
 (0, '{"slice_type": "eMBB", "cqi": 15, "bandwidth": 7.5, "throughput": 113.5}'),
 (0, "Slice: URLLC (ultra-reliable, low-latency, mission-critical). Channel Quality Indicator (9). bandwidth = 30 Mbps"),
 (1, "CQI: 12\nSlice Type: eMBB\nBandwidth: 6.923 MHz\nThroughput: 83.54 Mbps"),
 (1, "**Slice Type:** eMBB (enhanced mobile broadband, high bandwidth)\n**CQI:** 11\n**Bandwidth:** 5.0 MHz\n**Throughput:** 60.1 Mbps"),
 (1, "I could not call the tool."),
 (1, "CQI: 20\nSlice Type: URLLC\nBandwidth: 150 MHz\nThroughput: 1500 Mbps, i.e. 75 MB/s"),
 (2, "Total capacity 90 MHz shared; CQI: 9\nSlice Type: eMBB\nBandwidth: 18 MHz\nThroughput: 171 Mbps"),
 (2, "cqi=7; the user gets 12 MHz; THROUGHPUT=95"),
 (2, "Slice Type: eMBB\nBandwidth: 20 MHz\nThroughput: 0.05 Gbps (50 Mbps)"),
]
wcmsa_exp = [
 {"predicted_position": {"x": -3.96, "y": 60.03}, "predicted_cqi": 15, "slice_type": "eMBB", "bandwidth": 20.0, "throughput": 302.7, "qos_satisfied": True, "min_rate_required": 50},
 {"predicted_position": {"x": -86.79, "y": 149.22}, "predicted_cqi": 10, "slice_type": "URLLC", "bandwidth": 3.0, "throughput": 31.23, "qos_satisfied": False, "min_rate_required": 40},
 {"predicted_position": {"x": 12.5, "y": -40.0}, "predicted_cqi": 6, "slice_type": "eMBB", "bandwidth": 6.0, "throughput": 41.0, "qos_satisfied": False, "min_rate_required": 100},
]
wcmsa_preds = [
 (0, "Predicted Position: (-3.96, 60.03)\nPredicted CQI: 15\nSlice Type: eMBB\nBandwidth: 20.00 MHz\nThroughput: 302.70 Mbps\nQoS Satisfied: Yes"),
 (0, "Predicted Position: (-4.50, 61.00)\nPredicted CQI: 14\nSlice Type: eMBB\nBandwidth: 30.00 MHz\nThroughput: 440.0 Mbps\nQoS Satisfied: Yes"),
 (0, "**Predicted Position:** (-1.0, 58.0)\n**Predicted CQI:** 12\n**Slice Type:** `URLLC`\n**Bandwidth:** 5 MHz\n**Throughput:** 60 Mbps\nQoS: not satisfied"),
 (0, '{"predicted_position": {"x": -3.9, "y": 60.1}, "predicted_cqi": 15, "slice_type": "eMBB", "allocated_bandwidth": 19.5, "throughput": 295.2, "qos_satisfied": true}'),
 (0, "The next position: (10, 70). CQI is 8. Allocate 8 MHz bandwidth. Rate = 80 Mbps. QoS met"),
 (1, "Predicted Position: (-86.79, 149.22)\nPredicted CQI: 10\nSlice Type: URLLC\nBandwidth: 3.00 MHz\nThroughput: 31.23 Mbps\nQoS Satisfied: No"),
 (1, "Predicted Position: (-86.79, 149.22)\nPredicted CQI: 10\nSlice Type: URLLC\nBandwidth: 3.00 MHz\nThroughput: 31.23 Mbps\nQoS Satisfied: Yes"),
 (1, "ultra-reliable low latency needed. `(-80.0, 150.0)` CQI 11, 2.5 MHz bandwidth, throughput 26 mbps"),
 (1, "nothing useful"),
 (2, "Predicted Position: (12.50, -40.00)\nPredicted CQI: 6\nSlice Type: eMBB\nBandwidth: 6.00 MHz\nThroughput: 41.00 Mbps\nQoS Satisfied: No"),
 (2, "Predicted Position: (40, -40)\nPredicted CQI: 3\nSlice: embb\nBandwidth: 0.5 MHz\nThroughput: 3.4 Mbps\nQoS Satisfied: false"),
 (2, "Predicted Position: (12.5, -45.0) predicted CQI: 7 Slice Type: eMBB Bandwidth: 7 MHz rate: 50 QoS satisfied: true"),
]
out = {"source": "hand-made predictions; expected scores computed once with WirelessBench's own benchmarks/wcns.py and wcmsa.py (WCNSBenchmark.calculate_score, WCMSABenchmark.calculate_score), github jwentong/WirelessBench, MIT", "wcns": [], "wcmsa": []}
for task, bench, exps, preds in (("wcns", WCNSBenchmark, wcns_exp, wcns_preds), ("wcmsa", WCMSABenchmark, wcmsa_exp, wcmsa_preds)):
    b = bench.__new__(bench)
    for i, text in preds:
        score, extracted = b.calculate_score(exps[i], text)
        out[task].append({"expected": exps[i], "prediction": text, "score": score, "extracted": extracted})
target = Path(__file__).with_name("wirelessbench_agreement.json")
target.write_text(json.dumps(out, indent=1), encoding="utf-8")
for t in ("wcns", "wcmsa"):
    print(t, [round(r["score"], 4) for r in out[t]])
