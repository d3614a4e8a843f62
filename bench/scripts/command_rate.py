# Rate and latency of POST /api/twins/{id}/commands through a real silo process (the main job on a small
# simulated plant, SQLite), sequential and 16 concurrent clients. Usage: python3 bench/scripts/command_rate.py
# <path to Imv.Silo.dll> <free port> <label>. Used to measure the cost of storing the audit entry before the
# answer (docs/performance.md, "Audit before the answer"). Prints one JSON line per concurrency.
import http.client, json, os, subprocess, sys, threading, time, statistics, signal
dll, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = f"/tmp/imv-command-rate/{tag}"; os.makedirs(d, exist_ok=True)
for f in os.listdir(d): os.remove(os.path.join(d, f))
db = f"{d}/imv.db"
p = subprocess.Popen(["dotnet", dll, "--urls", f"http://127.0.0.1:{port}", f"--Silo:SqlitePath={db}", "--Silo:Console:Summary=false",
  "--Simulator:Sites=1", "--Simulator:LinesPerSite=2", "--Simulator:MachinesPerLine=8", "--Simulator:FaultRate=0", "--Plant:ControlLoopShare=0",
  f"--Auth:AdminKeyFile={db}.admin-key", "--Auth:NewAdminKey=true", "--Logging:LogLevel:Default=Warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            key = open(db + ".admin-key").read().strip()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10); c.request("GET", "/api/twins/site-1.line-01.machine-001", headers={"X-Api-Key": key})
            r = c.getresponse(); r.read()
            if r.status == 200: break
        except Exception: pass
        time.sleep(0.5)
    lat = []; lock = threading.Lock(); errors = [0]
    def worker(w, n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(n):
            body = json.dumps({"tag": "speedSetpoint", "value": 50 + (i % 50)})
            t = time.perf_counter()
            c.request("POST", f"/api/twins/site-1.line-0{1 + w % 2}.machine-00{1 + w % 8}/commands", body=body, headers={"X-Api-Key": key, "Content-Type": "application/json"})
            r = c.getresponse(); r.read()
            dt = (time.perf_counter() - t) * 1000
            with lock:
                if r.status == 201: lat.append(dt)
                else: errors[0] += 1
    for concurrency, n in [(1, 300), (16, 150)]:
        lat.clear(); errors[0] = 0
        ts = [threading.Thread(target=worker, args=(w, n)) for w in range(concurrency)]
        t0 = time.perf_counter(); [t.start() for t in ts]; [t.join() for t in ts]; wall = time.perf_counter() - t0
        lat.sort()
        print(json.dumps({"build": tag, "concurrency": concurrency, "requests": len(lat), "errors": errors[0], "per_s": round(len(lat) / wall), "p50_ms": round(lat[len(lat)//2], 2), "p99_ms": round(lat[int(len(lat)*0.99)], 2)}))
finally:
    p.send_signal(signal.SIGTERM); p.wait(60)
