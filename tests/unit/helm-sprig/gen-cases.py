# gen-cases.py SEED N - random function calls (edge strings, numbers, nested
# values, regexes, versions and constraints) in cases.txt's format, for
# oracle.go to answer.  cases.txt ends with the output of `gen-cases.py 7 1500`.
import random, json, sys
seed = int(sys.argv[1]); n = int(sys.argv[2])
R = random.Random(seed)
alpha = ["a","b","Z"," ","\\n","-","_",".","é","日","0","9","$","{","}","/",":","|","*","x","y","\u00a0","\u2028","A","'",'"',"<","&"]
def rs(maxlen=8):
    s = "".join(R.choice(alpha) for _ in range(R.randint(0, maxlen)))
    return s.replace("|", "\\p") if "\\p" not in s else s
def rint(): return R.choice([0,1,-1,2,3,5,10,63,-5,100,R.randint(-50,50)])
def rfloat(): return R.choice([0.0,1.5,-2.25,1e6,1e21,0.1,123.456,-0.0,3.0,1e-7])
def rjson(depth=0):
    t = R.randint(0, 7 if depth < 2 else 4)
    if t == 0: return None
    if t == 1: return R.choice([True, False])
    if t == 2: return rfloat()
    if t == 3: return rint()
    if t == 4: return rs().replace("\\n","\n").replace("\\p","|")
    if t in (5,6): return {rs(4).replace("\\n","\n").replace("\\p","|"): rjson(depth+1) for _ in range(R.randint(0,3))}
    return [rjson(depth+1) for _ in range(R.randint(0,3))]
def arg(kind):
    if kind == 's': return "s:" + rs()
    if kind == 'i': return "i:%d" % rint()
    if kind == 'f': return "f:%r" % rfloat()
    if kind == 'b': return "b:" + R.choice(["true","false"])
    if kind == 'n': return "n:"
    if kind == 'j':
        return "j:" + json.dumps(rjson(), ensure_ascii=False).replace("|", "\\u007c")
    if kind == 'a': return arg(R.choice("sifbnjj"))
    if kind == 'r': return "s:" + rre().replace("|", "\\p")
    if kind == 'v': return "s:" + rver()
    if kind == 'c': return "s:" + rcon().replace("|", "\\p")
    if kind == 'm':
        return "j:" + json.dumps({rs(3).replace("\\n","\n").replace("\\p","|"): rjson(1) for _ in range(R.randint(0,3))}, ensure_ascii=False).replace("|", "\\u007c")
    if kind == 'l':
        return "j:" + json.dumps([rjson(1) for _ in range(R.randint(0,4))], ensure_ascii=False).replace("|", "\\u007c")
ratoms = ["a","b",".","\\d","\\w","\\s","[a-c]","[^a]","(a|b)","(?:ab)","x*","y+","z?","a{2}","a{1,3}","^","$","\\b","é","(?i)A","[[:alpha:]]","(b)*?","\\.","[0-9]+","(?P<n>a)","(?s).","\\pL","|"]
def rre():
    return "".join(R.choice(ratoms) for _ in range(R.randint(1,4)))
def rver():
    v = R.choice(["","v"]) + ".".join(str(R.choice([0,1,2,10])) for _ in range(R.randint(1,3)))
    if R.random() < 0.3: v += "-" + R.choice(["alpha","rc.1","0","beta.2","01"])
    if R.random() < 0.1: v += "+build"
    if R.random() < 0.05: v = R.choice(["x", "1.x", "bad", ""])
    return v
def rcon():
    ops = ["", "=", "!=", ">", "<", ">=", "<=", "~", "^", "~>"]
    c = R.choice(ops) + rver().replace("+build","")
    if R.random() < 0.3: c += R.choice([", ", " ", " || "]) + R.choice(ops) + rver().replace("+build","")
    if R.random() < 0.1: c = rver() + " - " + rver()
    return c
funcs = {
 "trunc":"is","substr":"iis","trim":"s","upper":"s","lower":"s","title":"s","untitle":"s","repeat":"is",
 "trimAll":"ss","trimSuffix":"ss","trimPrefix":"ss","nospace":"s","initials":"s","swapcase":"s","wrap":"is",
 "contains":"ss","hasPrefix":"ss","hasSuffix":"ss","quote":"aa","squote":"aa","cat":"aaa","indent":"is","nindent":"is",
 "replace":"sss","plural":"ssi","toString":"a","splitList":"ss","split":"ss","splitn":"sis","join":"sl","sortAlpha":"l",
 "b64enc":"s","b64dec":"s","b32enc":"s","abbrev":"is","default":"aa","empty":"a","coalesce":"aaa","ternary":"aab",
 "toJson":"a","toPrettyJson":"a","toRawJson":"a","toYaml":"a","int":"a","int64":"a","float64":"a","atoi":"s",
 "add":"aa","sub":"aa","mul":"aa","max":"aa","min":"aa","add1":"a","floor":"a","ceil":"a","round":"ai","addf":"aa","mulf":"aa","subf":"aa","divf":"aa",
 "list":"aa","first":"l","last":"l","rest":"l","initial":"l","uniq":"l","compact":"l","reverse":"l","has":"al","without":"la","append":"la","prepend":"la","concat":"ll",
 "dict":"sasa","hasKey":"ms","get":"ms","pick":"ms","omit":"ms","merge":"mm","mergeOverwrite":"mm","deepCopy":"a","typeOf":"a","kindOf":"a",
 "sha256sum":"s","sha1sum":"s","adler32sum":"s","base":"s","dir":"s","clean":"s","ext":"s","toStrings":"a","regexQuoteMeta":"s",
 "regexMatch":"rs","regexFind":"rs","regexFindAll":"rsi","regexReplaceAll":"rss","regexSplit":"rsi","mustRegexMatch":"rs",
 "semverCompare":"cv","fromYaml":"s","fromJson":"s","toToml":"m","until":"i","seq":"ii","chunk":"il",
}
fl = sorted(funcs)
for _ in range(n):
    f = R.choice(fl)
    args = [arg(k) for k in funcs[f]]
    if f in ("repeat",) and args[0].startswith("i:") and abs(int(args[0][2:])) > 20: args[0] = "i:3"
    if f == "chunk" and args[0] in ("i:0",) or (f == "chunk" and int(args[0][2:]) <= 0): args[0] = "i:2"
    if f == "until" and abs(int(args[0][2:])) > 100: args[0] = "i:7"
    line = f + "|" + "|".join(args)
    if "\n" in line or "\r" in line: continue
    print(line)
