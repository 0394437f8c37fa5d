#!/usr/bin/env python3
"""Writes golden.json: random detection cases scored by a pure-Python
transcription of pycocotools' COCOeval (iouType "bbox", default parameters:
evaluate, accumulate, summarize), kept apart from the Go code as an
independent cross-check. numpy is replaced by lists; where numpy's behaviour
matters it is spelled out (linspace, stable mergesort, searchsorted "left",
spacing(1)). Only non-crowd ground truth is generated.

Run from this directory: python3 golden.py > golden.json
"""
import json
import math
import random

EPS = 2.0 ** -52  # numpy.spacing(1)


def linspace(start, stop, num):
    # numpy.linspace: arange(num) * step + start, the last set to stop.
    step = (stop - start) / (num - 1)
    y = [i * step + start for i in range(num)]
    y[-1] = stop
    return y


IOU_THRS = linspace(0.5, 0.95, 10)
REC_THRS = linspace(0.0, 1.0, 101)
MAX_DETS = [1, 10, 100]
AREA_RNG = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
AREA_LBL = ['all', 'small', 'medium', 'large']


def argsort_stable(keys):
    return sorted(range(len(keys)), key=lambda i: keys[i])


def bb_iou(d, g):
    # maskApi.c bbIou, non-crowd.
    da = d[2] * d[3]
    ga = g[2] * g[3]
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    if w <= 0:
        return 0.0
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if h <= 0:
        return 0.0
    i = w * h
    return i / (da + ga - i)


def coco_eval(gt, res):
    img_ids = sorted(set(im['id'] for im in gt['images']))
    cat_ids = sorted(set(c['id'] for c in gt['categories']))
    # loadRes: ids 1.., area w*h, iscrowd 0.
    dts_all = []
    for i, r in enumerate(res):
        d = dict(r)
        d['id'] = i + 1
        d['area'] = r['bbox'][2] * r['bbox'][3]
        dts_all.append(d)
    gts, dts = {}, {}
    # getAnnIds: per image in imgIds order, file order within an image.
    for img in img_ids:
        for g in gt['annotations']:
            if g['image_id'] == img and g['category_id'] in cat_ids:
                g = dict(g)
                g['ignore'] = 0
                gts.setdefault((img, g['category_id']), []).append(g)
        for d in dts_all:
            if d['image_id'] == img and d['category_id'] in cat_ids:
                dts.setdefault((img, d['category_id']), []).append(d)
    max_det = MAX_DETS[-1]

    def compute_iou(img, cat):
        g = gts.get((img, cat), [])
        d = dts.get((img, cat), [])
        if len(g) == 0 and len(d) == 0:
            return []
        inds = argsort_stable([-x['score'] for x in d])
        d = [d[i] for i in inds][:max_det]
        if len(d) == 0 or len(g) == 0:
            return []
        return [[bb_iou(x['bbox'], y['bbox']) for y in g] for x in d]

    ious = {(i, c): compute_iou(i, c) for i in img_ids for c in cat_ids}

    def evaluate_img(img, cat, a_rng):
        g = gts.get((img, cat), [])
        d = dts.get((img, cat), [])
        if len(g) == 0 and len(d) == 0:
            return None
        for x in g:
            x['_ignore'] = 1 if (x['ignore'] or x['area'] < a_rng[0] or x['area'] > a_rng[1]) else 0
        gtind = argsort_stable([x['_ignore'] for x in g])
        g = [g[i] for i in gtind]
        dtind = argsort_stable([-x['score'] for x in d])
        d = [d[i] for i in dtind[0:max_det]]
        iou = ious[img, cat]
        if len(iou) > 0:
            iou = [[row[j] for j in gtind] for row in iou]
        T, G, D = len(IOU_THRS), len(g), len(d)
        gtm = [[0] * G for _ in range(T)]
        dtm = [[0] * D for _ in range(T)]
        gt_ig = [x['_ignore'] for x in g]
        dt_ig = [[0] * D for _ in range(T)]
        if len(iou) != 0:
            for tind, t in enumerate(IOU_THRS):
                for dind, x in enumerate(d):
                    best = min([t, 1 - 1e-10])
                    m = -1
                    for gind, y in enumerate(g):
                        if gtm[tind][gind] > 0:
                            continue
                        if m > -1 and gt_ig[m] == 0 and gt_ig[gind] == 1:
                            break
                        if iou[dind][gind] < best:
                            continue
                        best = iou[dind][gind]
                        m = gind
                    if m == -1:
                        continue
                    dt_ig[tind][dind] = gt_ig[m]
                    dtm[tind][dind] = g[m]['id']
                    gtm[tind][m] = x['id']
        outside = [x['area'] < a_rng[0] or x['area'] > a_rng[1] for x in d]
        for tind in range(T):
            for dind in range(D):
                dt_ig[tind][dind] = 1 if (dt_ig[tind][dind] or (dtm[tind][dind] == 0 and outside[dind])) else 0
        return {'dtScores': [x['score'] for x in d], 'dtMatches': dtm, 'dtIgnore': dt_ig, 'gtIgnore': gt_ig}

    T, R, K, A, M = len(IOU_THRS), len(REC_THRS), len(cat_ids), len(AREA_RNG), len(MAX_DETS)
    precision = {}
    recall = {}
    for k, cat in enumerate(cat_ids):
        for a, a_rng in enumerate(AREA_RNG):
            E_all = [evaluate_img(img, cat, a_rng) for img in img_ids]
            for m, md in enumerate(MAX_DETS):
                E = [e for e in E_all if e is not None]
                if len(E) == 0:
                    continue
                dt_scores = [s for e in E for s in e['dtScores'][0:md]]
                inds = argsort_stable([-s for s in dt_scores])
                gt_ig = [x for e in E for x in e['gtIgnore']]
                npig = sum(1 for x in gt_ig if x == 0)
                if npig == 0:
                    continue
                for t in range(T):
                    dtm = [x for e in E for x in e['dtMatches'][t][0:md]]
                    dti = [x for e in E for x in e['dtIgnore'][t][0:md]]
                    dtm = [dtm[i] for i in inds]
                    dti = [dti[i] for i in inds]
                    tp_sum, fp_sum, tp, fp = [], [], 0, 0
                    for mm, ig in zip(dtm, dti):
                        tp += 1 if (mm != 0 and not ig) else 0
                        fp += 1 if (mm == 0 and not ig) else 0
                        tp_sum.append(float(tp))
                        fp_sum.append(float(fp))
                    nd = len(tp_sum)
                    rc = [x / npig for x in tp_sum]
                    pr = [x / (y + x + EPS) for x, y in zip(tp_sum, fp_sum)]
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    q = [0.0] * R
                    for ri, thr in enumerate(REC_THRS):
                        # searchsorted(rc, thr, side='left')
                        pi = 0
                        while pi < nd and rc[pi] < thr:
                            pi += 1
                        if pi >= nd:
                            break
                        q[ri] = pr[pi]
                    for ri in range(R):
                        precision[t, ri, k, a, m] = q[ri]

    def summarize(ap, iou_thr=None, area='all', max_dets=100, ks=None):
        a = AREA_LBL.index(area)
        m = MAX_DETS.index(max_dets)
        ts = range(T) if iou_thr is None else [IOU_THRS.index(iou_thr)]
        ks = range(K) if ks is None else ks
        vals = []
        for t in ts:
            if ap:
                for r in range(R):
                    for k in ks:
                        vals.append(precision.get((t, r, k, a, m), -1))
            else:
                for k in ks:
                    vals.append(recall.get((t, k, a, m), -1))
        vals = [v for v in vals if v > -1]
        return -1 if not vals else sum(vals) / len(vals)

    def stats(ks=None):
        return [
            summarize(1, ks=ks), summarize(1, .5, ks=ks), summarize(1, .75, ks=ks),
            summarize(1, area='small', ks=ks), summarize(1, area='medium', ks=ks), summarize(1, area='large', ks=ks),
            summarize(0, max_dets=1, ks=ks), summarize(0, max_dets=10, ks=ks), summarize(0, ks=ks),
            summarize(0, area='small', ks=ks), summarize(0, area='medium', ks=ks), summarize(0, area='large', ks=ks),
        ]

    return stats(), [stats([k]) for k in range(K)]


def random_case(rng, crowded=False):
    n_img = rng.randint(1, 5)
    images = []
    for i in range(n_img):
        images.append({'id': [3, 1, 7, 2, 9][i],
                       'file_name': 'im%d.png' % i, 'width': rng.randint(64, 200), 'height': rng.randint(64, 200)})
    cat_ids = rng.sample([1, 2, 4, 7, 9], rng.randint(1, 4))
    categories = [{'id': c, 'name': 'c%d' % c} for c in cat_ids]
    anns, dets = [], []
    for im in images:
        for _ in range(rng.randint(0, 6)):
            side = math.exp(rng.uniform(math.log(4), math.log(150)))
            w = min(round(side * rng.uniform(0.5, 1.5) * 2) / 2, im['width'])
            h = min(round(side * rng.uniform(0.5, 1.5) * 2) / 2, im['height'])
            w, h = max(w, 1.0), max(h, 1.0)
            x = rng.randint(0, int(im['width'] - w))
            y = rng.randint(0, int(im['height'] - h))
            cat = rng.choice(cat_ids)
            area = w * h * rng.choice([1, 1, rng.uniform(0.4, 1)])
            anns.append({'id': len(anns) + 1, 'image_id': im['id'], 'category_id': cat,
                         'bbox': [float(x), float(y), w, h], 'area': area, 'iscrowd': 0})
            for _ in range(rng.choice([0, 1, 1, 1, 2])):
                j = lambda s: rng.choice([0, 0, 0.5, -0.5, 1, -1, 2.5]) * s
                b = [x + j(1 + w / 20), y + j(1 + h / 20), max(w + j(1 + w / 10), 0.5), max(h + j(1 + h / 10), 0.5)]
                c = cat if rng.random() < 0.85 else rng.choice(cat_ids)
                dets.append({'image_id': im['id'], 'category_id': c, 'bbox': b,
                             'score': round(rng.random(), rng.choice([1, 2, 6]))})
        for _ in range(rng.randint(0, 4) + (110 if crowded and im is images[0] else 0)):
            w, h = rng.uniform(2, 110), rng.uniform(2, 110)
            dets.append({'image_id': im['id'], 'category_id': rng.choice(cat_ids),
                         'bbox': [round(v, 2) for v in (rng.uniform(0, im['width'] - 2), rng.uniform(0, im['height'] - 2), w, h)],
                         'score': round(rng.random(), rng.choice([1, 2, 6]))})
    rng.shuffle(dets)
    if not anns and cat_ids:
        im = images[0]
        anns.append({'id': 1, 'image_id': im['id'], 'category_id': cat_ids[0],
                     'bbox': [1.0, 1.0, 20.0, 20.0], 'area': 400.0, 'iscrowd': 0})
    return {'images': images, 'annotations': anns, 'categories': categories}, dets


def main():
    rng = random.Random(20240601)
    cases = []
    for n in range(60):
        gt, dets = random_case(rng, crowded=(n % 20 == 19))
        stats, per_cat = coco_eval(gt, dets)
        cases.append({'gt': gt, 'results': dets, 'stats': stats, 'per_category': per_cat})
    print(json.dumps({'cases': cases}))


if __name__ == '__main__':
    main()
