/*
 * sprig-date.c - Sprig's date functions: Go's time.Format layouts,
 * time.LoadLocation from the system's zoneinfo (TZif files),
 * time.ParseDuration and Duration.String().
 *
 * "Local" is the process's zone (TZ, else /etc/localtime) under `hoist
 * template`, and UTC in the reproducible mode, so an artifact does not
 * depend on the machine that rendered it.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/sprig.h"
#include "render/helm/sprig-fns.h"

#include <errno.h>
#include <time.h>

/* --- civil time ----------------------------------------------------------- */

struct civil {
	int64_t year;
	int mon, mday, hour, min, sec, wday, yday; /* mon 1-12, yday 1-366, wday 0=Sunday */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b) && ((a < 0) != (b < 0)));
}

/* Days since 1970-01-01 to civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yoe, doy, doe, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void to_civil(int64_t secs, struct civil *c)
{
	int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;

	civil_from_days(days, &c->year, &c->mon, &c->mday);
	c->hour = (int)(rem / 3600);
	c->min = (int)(rem / 60 % 60);
	c->sec = (int)(rem % 60);
	c->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	c->yday = (int)(days - days_from_civil(c->year, 1, 1)) + 1;
}

/* --- zones ---------------------------------------------------------------- */

struct zone {
	int64_t *when;
	uint8_t *idx;
	size_t n;
	int32_t *off;
	uint8_t *abbr_i;
	size_t ntypes;
	char *abbrs;
	size_t nabbrs;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void zone_free(struct zone *z)
{
	free(z->when);
	free(z->idx);
	free(z->off);
	free(z->abbr_i);
	free(z->abbrs);
	memset(z, 0, sizeof(*z));
}

/* A TZif file (version 2+ data preferred). */
static int zone_parse(struct zone *z, const unsigned char *b, size_t len)
{
	size_t isut, isstd, leapc, timec, typec, charc, off = 44, i;
	int tsize = 4;

	memset(z, 0, sizeof(*z));
	if (len < 44 || memcmp(b, "TZif", 4))
		return ERR_INVALID;
	for (;;) {
		isut = be32(b + 20);
		isstd = be32(b + 24);
		leapc = be32(b + 28);
		timec = be32(b + 32);
		typec = be32(b + 36);
		charc = be32(b + 40);
		if (timec > 100000 || typec > 256 || charc > 4096 || leapc > 10000 ||
		    isut > 256 || isstd > 256)
			return ERR_INVALID;
		if (tsize == 4 && b[4] >= '2') {
			size_t skip = timec * 5 + typec * 6 + charc + leapc * 8 + isstd + isut;
			if (off + skip + 44 > len)
				return ERR_INVALID;
			b += off + skip;
			len -= off + skip;
			if (memcmp(b, "TZif", 4))
				return ERR_INVALID;
			tsize = 8;
			continue;
		}
		break;
	}
	if (off + timec * ((size_t)tsize + 1) + typec * 6 + charc > len || !typec)
		return ERR_INVALID;
	z->n = timec;
	z->when = xcalloc(timec + 1, sizeof(*z->when));
	z->idx = xcalloc(timec + 1, 1);
	for (i = 0; i < timec; i++) {
		const unsigned char *p = b + off + i * (size_t)tsize;
		z->when[i] = tsize == 8 ? (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4))
					: (int64_t)(int32_t)be32(p);
	}
	off += timec * (size_t)tsize;
	for (i = 0; i < timec; i++) {
		z->idx[i] = b[off + i];
		if (z->idx[i] >= typec) {
			zone_free(z);
			return ERR_INVALID;
		}
	}
	off += timec;
	z->ntypes = typec;
	z->off = xcalloc(typec, sizeof(*z->off));
	z->abbr_i = xcalloc(typec, 1);
	for (i = 0; i < typec; i++) {
		z->off[i] = (int32_t)be32(b + off + i * 6);
		z->abbr_i[i] = b[off + i * 6 + 5];
	}
	off += typec * 6;
	z->abbrs = xcalloc(charc + 1, 1);
	memcpy(z->abbrs, b + off, charc);
	z->nabbrs = charc;
	return 0;
}

static void zone_lookup(const struct zone *z, int64_t t, int32_t *offset, const char **abbr)
{
	size_t lo = 0, hi = z->n, ti = 0;

	if (z->n && t >= z->when[0]) {
		while (hi - lo > 1) {
			size_t m = (lo + hi) / 2;
			if (t < z->when[m])
				hi = m;
			else
				lo = m;
		}
		ti = z->idx[lo];
	}
	*offset = z->off[ti];
	*abbr = z->abbr_i[ti] < z->nabbrs ? z->abbrs + z->abbr_i[ti] : "";
}

/*
 * time.LoadLocation(name) and the time's offset and abbreviation there.
 * false when the zone cannot be loaded (Sprig then uses UTC).
 */
static bool zone_at(struct helm_ctx *c, const char *name, int64_t t, int32_t *offset,
		    const char **abbr)
{
	struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
	struct zone z;
	const char *tzdir = getenv("ZONEINFO");
	bool ok = false;

	*offset = 0;
	*abbr = "UTC";
	if (!*name || !strcmp(name, "UTC"))
		return true;
	if (!strcmp(name, "Local")) {
		const char *tz = getenv("TZ");
		if (c->reproducible)
			return true;
		if (tz && *tz == ':')
			tz++;
		if (tz && !*tz)
			return true;
		if (tz)
			strbuf_addf(&path, "%s%s", *tz == '/' ? "" : "/usr/share/zoneinfo/", tz);
		else
			strbuf_addstr(&path, "/etc/localtime");
	} else {
		/* Go refuses names that could escape the zoneinfo tree. */
		if (name[0] == '/' || name[0] == '\\' || strstr(name, "..") || strchr(name, '\\'))
			return false;
		strbuf_addf(&path, "%s/%s", tzdir && *tzdir ? tzdir : "/usr/share/zoneinfo", name);
	}
	if (!strbuf_read_file(&data, path.buf, 1 << 20) &&
	    !zone_parse(&z, (const unsigned char *)data.buf, data.len)) {
		const char *a;
		zone_lookup(&z, t, offset, &a);
		*abbr = hctx_strndup(c, a, strlen(a));
		if (!*abbr)
			*abbr = "UTC";
		zone_free(&z);
		ok = true;
	} else if (!strcmp(name, "Local")) {
		ok = true; /* Go falls back to UTC for a broken Local */
	}
	err_clear();
	strbuf_release(&path);
	strbuf_release(&data);
	return ok;
}

/* --- Format ---------------------------------------------------------------- */

static const char *const long_months[] = { "January", "February", "March", "April",
					   "May", "June", "July", "August", "September",
					   "October", "November", "December" };
static const char *const long_days[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };

enum std {
	S_NONE, S_LONGMONTH, S_MONTH, S_NUMMONTH, S_ZEROMONTH, S_LONGWEEKDAY, S_WEEKDAY,
	S_DAY, S_UNDERDAY, S_ZERODAY, S_UNDERYEARDAY, S_ZEROYEARDAY, S_HOUR, S_HOUR12,
	S_ZEROHOUR12, S_MINUTE, S_ZEROMINUTE, S_SECOND, S_ZEROSECOND, S_LONGYEAR, S_YEAR,
	S_PM, S_pm, S_TZ, S_ISO_TZ, S_ISO_SECS_TZ, S_ISO_SHORT_TZ, S_ISO_COLON_TZ,
	S_ISO_COLON_SECS_TZ, S_NUM_TZ, S_NUM_SECS_TZ, S_NUM_SHORT_TZ, S_NUM_COLON_TZ,
	S_NUM_COLON_SECS_TZ, S_FRAC0, S_FRAC9,
};

static bool lower_start(const char *s)
{
	return *s >= 'a' && *s <= 'z';
}

/* Go's nextStdChunk: the first layout element at or after *i; *plen its prefix length. */
static enum std next_std(const char *l, size_t len, size_t *pre, size_t *stdlen, int *fracn,
			 char *fracsep)
{
	size_t i;

	for (i = 0; i < len; i++) {
		const char *s = l + i;
		size_t left = len - i;
		*pre = i;
		switch (*s) {
		case 'J':
			if (left >= 3 && !memcmp(s, "Jan", 3)) {
				if (left >= 7 && !memcmp(s, "January", 7))
					return *stdlen = 7, S_LONGMONTH;
				if (!lower_start(s + 3))
					return *stdlen = 3, S_MONTH;
			}
			break;
		case 'M':
			if (left >= 3) {
				if (!memcmp(s, "Mon", 3)) {
					if (left >= 6 && !memcmp(s, "Monday", 6))
						return *stdlen = 6, S_LONGWEEKDAY;
					if (!lower_start(s + 3))
						return *stdlen = 3, S_WEEKDAY;
				}
				if (!memcmp(s, "MST", 3))
					return *stdlen = 3, S_TZ;
			}
			break;
		case '0':
			if (left >= 2 && s[1] >= '1' && s[1] <= '6') {
				static const enum std z[] = { S_ZEROMONTH, S_ZERODAY, S_ZEROHOUR12,
							      S_ZEROMINUTE, S_ZEROSECOND, S_YEAR };
				*stdlen = 2;
				return z[s[1] - '1'];
			}
			if (left >= 3 && s[1] == '0' && s[2] == '2')
				return *stdlen = 3, S_ZEROYEARDAY;
			break;
		case '1':
			if (left >= 2 && s[1] == '5')
				return *stdlen = 2, S_HOUR;
			return *stdlen = 1, S_NUMMONTH;
		case '2':
			if (left >= 4 && !memcmp(s, "2006", 4))
				return *stdlen = 4, S_LONGYEAR;
			return *stdlen = 1, S_DAY;
		case '_':
			if (left >= 2 && s[1] == '2') {
				if (left >= 5 && !memcmp(s + 1, "2006", 4)) {
					*pre = i + 1;
					return *stdlen = 4, S_LONGYEAR;
				}
				return *stdlen = 2, S_UNDERDAY;
			}
			if (left >= 3 && s[1] == '_' && s[2] == '2')
				return *stdlen = 3, S_UNDERYEARDAY;
			break;
		case '3':
			return *stdlen = 1, S_HOUR12;
		case '4':
			return *stdlen = 1, S_MINUTE;
		case '5':
			return *stdlen = 1, S_SECOND;
		case 'P':
			if (left >= 2 && s[1] == 'M')
				return *stdlen = 2, S_PM;
			break;
		case 'p':
			if (left >= 2 && s[1] == 'm')
				return *stdlen = 2, S_pm;
			break;
		case '-':
			if (left >= 7 && !memcmp(s, "-070000", 7))
				return *stdlen = 7, S_NUM_SECS_TZ;
			if (left >= 9 && !memcmp(s, "-07:00:00", 9))
				return *stdlen = 9, S_NUM_COLON_SECS_TZ;
			if (left >= 5 && !memcmp(s, "-0700", 5))
				return *stdlen = 5, S_NUM_TZ;
			if (left >= 6 && !memcmp(s, "-07:00", 6))
				return *stdlen = 6, S_NUM_COLON_TZ;
			if (left >= 3 && !memcmp(s, "-07", 3))
				return *stdlen = 3, S_NUM_SHORT_TZ;
			break;
		case 'Z':
			if (left >= 7 && !memcmp(s, "Z070000", 7))
				return *stdlen = 7, S_ISO_SECS_TZ;
			if (left >= 9 && !memcmp(s, "Z07:00:00", 9))
				return *stdlen = 9, S_ISO_COLON_SECS_TZ;
			if (left >= 5 && !memcmp(s, "Z0700", 5))
				return *stdlen = 5, S_ISO_TZ;
			if (left >= 6 && !memcmp(s, "Z07:00", 6))
				return *stdlen = 6, S_ISO_COLON_TZ;
			if (left >= 3 && !memcmp(s, "Z07", 3))
				return *stdlen = 3, S_ISO_SHORT_TZ;
			break;
		case '.':
		case ',':
			if (left >= 2 && (s[1] == '0' || s[1] == '9')) {
				char ch = s[1];
				size_t j = 1;
				while (j < left && s[j] == ch)
					j++;
				if (!(j < left && s[j] >= '0' && s[j] <= '9')) {
					*fracn = (int)j - 1;
					*fracsep = *s;
					*stdlen = j;
					return ch == '0' ? S_FRAC0 : S_FRAC9;
				}
			}
			break;
		}
	}
	*pre = len;
	*stdlen = 0;
	return S_NONE;
}

static void zone_num(struct strbuf *sb, int32_t off, enum std s)
{
	int32_t z = off / 60, abs_off = off < 0 ? -off : off;

	if (s >= S_ISO_TZ && s <= S_ISO_COLON_SECS_TZ && off == 0) {
		strbuf_addch(sb, 'Z');
		return;
	}
	strbuf_addch(sb, z < 0 || off < 0 ? '-' : '+');
	if (z < 0)
		z = -z;
	strbuf_addf(sb, "%02d", z / 60);
	if (s == S_ISO_COLON_TZ || s == S_NUM_COLON_TZ || s == S_ISO_COLON_SECS_TZ ||
	    s == S_NUM_COLON_SECS_TZ)
		strbuf_addch(sb, ':');
	if (s != S_NUM_SHORT_TZ && s != S_ISO_SHORT_TZ)
		strbuf_addf(sb, "%02d", z % 60);
	if (s == S_ISO_SECS_TZ || s == S_NUM_SECS_TZ || s == S_ISO_COLON_SECS_TZ ||
	    s == S_NUM_COLON_SECS_TZ) {
		if (s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ)
			strbuf_addch(sb, ':');
		strbuf_addf(sb, "%02d", abs_off % 60);
	}
}

/* Go's appendInt(b, x, width): zero padded, sign first. */
static void add_int(struct strbuf *sb, int64_t x, int width)
{
	if (x < 0) {
		strbuf_addch(sb, '-');
		x = -x;
	}
	strbuf_addf(sb, "%0*lld", width, (long long)x);
}

static void go_format(struct strbuf *sb, const char *l, size_t len, const struct hv_time *t)
{
	struct civil cv;

	to_civil(t->sec + t->offset, &cv);
	while (len) {
		size_t pre, sl;
		int fracn = 0;
		char sep = '.';
		enum std s = next_std(l, len, &pre, &sl, &fracn, &sep);

		strbuf_add(sb, l, pre);
		if (s == S_NONE)
			break;
		switch (s) {
		case S_YEAR:
			add_int(sb, (cv.year % 100 + 100) % 100, 2);
			break;
		case S_LONGYEAR:
			add_int(sb, cv.year, 4);
			break;
		case S_MONTH:
			strbuf_add(sb, long_months[cv.mon - 1], 3);
			break;
		case S_LONGMONTH:
			strbuf_addstr(sb, long_months[cv.mon - 1]);
			break;
		case S_NUMMONTH:
			add_int(sb, cv.mon, 0);
			break;
		case S_ZEROMONTH:
			add_int(sb, cv.mon, 2);
			break;
		case S_WEEKDAY:
			strbuf_add(sb, long_days[cv.wday], 3);
			break;
		case S_LONGWEEKDAY:
			strbuf_addstr(sb, long_days[cv.wday]);
			break;
		case S_DAY:
			add_int(sb, cv.mday, 0);
			break;
		case S_UNDERDAY:
			if (cv.mday < 10)
				strbuf_addch(sb, ' ');
			add_int(sb, cv.mday, 0);
			break;
		case S_ZERODAY:
			add_int(sb, cv.mday, 2);
			break;
		case S_UNDERYEARDAY:
			if (cv.yday < 100)
				strbuf_addch(sb, ' ');
			if (cv.yday < 10)
				strbuf_addch(sb, ' ');
			add_int(sb, cv.yday, 0);
			break;
		case S_ZEROYEARDAY:
			add_int(sb, cv.yday, 3);
			break;
		case S_HOUR:
			add_int(sb, cv.hour, 2);
			break;
		case S_HOUR12:
			add_int(sb, cv.hour % 12 ? cv.hour % 12 : 12, 0);
			break;
		case S_ZEROHOUR12:
			add_int(sb, cv.hour % 12 ? cv.hour % 12 : 12, 2);
			break;
		case S_MINUTE:
			add_int(sb, cv.min, 0);
			break;
		case S_ZEROMINUTE:
			add_int(sb, cv.min, 2);
			break;
		case S_SECOND:
			add_int(sb, cv.sec, 0);
			break;
		case S_ZEROSECOND:
			add_int(sb, cv.sec, 2);
			break;
		case S_PM:
			strbuf_addstr(sb, cv.hour >= 12 ? "PM" : "AM");
			break;
		case S_pm:
			strbuf_addstr(sb, cv.hour >= 12 ? "pm" : "am");
			break;
		case S_TZ:
			if (t->zone && *t->zone) {
				strbuf_addstr(sb, t->zone);
			} else {
				int32_t z = t->offset / 60;
				strbuf_addch(sb, z < 0 ? '-' : '+');
				if (z < 0)
					z = -z;
				strbuf_addf(sb, "%02d%02d", z / 60, z % 60);
			}
			break;
		case S_FRAC0:
		case S_FRAC9: {
			char digits[16];
			int n = fracn > 9 ? 9 : fracn;
			snprintf(digits, sizeof(digits), "%09d", t->nsec);
			if (s == S_FRAC0) {
				strbuf_addch(sb, sep);
				strbuf_add(sb, digits, (size_t)n);
			} else {
				while (n > 0 && digits[n - 1] == '0')
					n--;
				if (n > 0) {
					strbuf_addch(sb, sep);
					strbuf_add(sb, digits, (size_t)n);
				}
			}
			break;
		}
		default:
			zone_num(sb, t->offset, s);
			break;
		}
		l += pre + sl;
		len -= pre + sl;
	}
}

/* --- Duration ------------------------------------------------------------- */

/* Go's fmtFrac / fmtInt as Duration.String uses them. */
void sprig_duration_string(struct strbuf *sb, int64_t d)
{
	char buf[40];
	int w = sizeof(buf);
	uint64_t u = (uint64_t)d;
	bool neg = d < 0;

	if (neg)
		u = 0 - u;
	if (u < 1000000000ULL) {
		int prec = 0;
		w--;
		buf[w] = 's';
		w--;
		if (u == 0) {
			strbuf_addstr(sb, "0s");
			return;
		} else if (u < 1000ULL) {
			prec = 0;
			buf[w] = 'n';
		} else if (u < 1000000ULL) {
			prec = 3;
			/* U+00B5 'µ' */
			w--;
			memcpy(buf + w, "\xc2\xb5", 2);
		} else {
			prec = 6;
			buf[w] = 'm';
		}
		{
			/* fmtFrac */
			bool print = false;
			int k;
			for (k = 0; k < prec; k++) {
				int digit = (int)(u % 10);
				print = print || digit != 0;
				if (print) {
					w--;
					buf[w] = (char)('0' + digit);
				}
				u /= 10;
			}
			if (print) {
				w--;
				buf[w] = '.';
			}
		}
		/* fmtInt */
		if (u == 0) {
			w--;
			buf[w] = '0';
		} else {
			while (u > 0) {
				w--;
				buf[w] = (char)('0' + u % 10);
				u /= 10;
			}
		}
	} else {
		bool print = false;
		int k;
		w--;
		buf[w] = 's';
		for (k = 0; k < 9; k++) {
			int digit = (int)(u % 10);
			print = print || digit != 0;
			if (print) {
				w--;
				buf[w] = (char)('0' + digit);
			}
			u /= 10;
		}
		if (print) {
			w--;
			buf[w] = '.';
		}
		/* u is now integer seconds */
		{
			uint64_t v = u % 60;
			if (v == 0) {
				w--;
				buf[w] = '0';
			}
			while (v > 0) {
				w--;
				buf[w] = (char)('0' + v % 10);
				v /= 10;
			}
		}
		u /= 60;
		if (u > 0) {
			uint64_t v = u % 60;
			w--;
			buf[w] = 'm';
			if (v == 0) {
				w--;
				buf[w] = '0';
			}
			while (v > 0) {
				w--;
				buf[w] = (char)('0' + v % 10);
				v /= 10;
			}
			u /= 60;
			if (u > 0) {
				w--;
				buf[w] = 'h';
				while (u > 0) {
					w--;
					buf[w] = (char)('0' + u % 10);
					u /= 10;
				}
			}
		}
	}
	if (neg) {
		w--;
		buf[w] = '-';
	}
	strbuf_add(sb, buf + w, sizeof(buf) - (size_t)w);
}

/* time.ParseDuration; false on any error. */
static bool parse_duration(const char *s, size_t len, int64_t *out)
{
	static const struct {
		const char *u;
		uint64_t mult;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		      { "ms", 1000000 }, { "s", 1000000000ULL }, { "m", 60000000000ULL },
		      { "h", 3600000000000ULL } };
	const char *p = s, *end = s + len;
	bool neg = false;
	uint64_t d = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (end - p == 1 && *p == '0') {
		*out = 0;
		return true;
	}
	if (p == end)
		return false;
	while (p < end) {
		uint64_t v = 0, f = 0, scale = 1, mult = 0;
		bool pre = false, post = false;
		size_t k, best = 0;

		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			return false;
		while (p < end && *p >= '0' && *p <= '9') {
			if (v > (UINT64_MAX - 9) / 10 || v * 10 > (1ULL << 63))
				return false;
			v = v * 10 + (uint64_t)(*p++ - '0');
			pre = true;
		}
		if (p < end && *p == '.') {
			p++;
			while (p < end && *p >= '0' && *p <= '9') {
				if (scale < 1000000000000000000ULL) {
					f = f * 10 + (uint64_t)(*p - '0');
					scale *= 10;
				}
				p++;
				post = true;
			}
		}
		if (!pre && !post)
			return false;
		for (k = 0; k < ARRAY_SIZE(units); k++) {
			size_t ul = strlen(units[k].u);
			if ((size_t)(end - p) >= ul && !memcmp(p, units[k].u, ul) && ul > best &&
			    !((size_t)(end - p) > ul && ul == 1 && p[0] == 'm' && p[1] == 's')) {
				best = ul;
				mult = units[k].mult;
			}
		}
		if (!best)
			return false;
		p += best;
		if (v > (1ULL << 63) / mult)
			return false;
		v *= mult;
		if (f)
			v += (uint64_t)((double)f * ((double)mult / (double)scale));
		d += v;
		if (d > (1ULL << 63))
			return false;
	}
	if (!neg && d > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - d) : (int64_t)d;
	return true;
}

/* --- the functions -------------------------------------------------------- */

/* Sprig's date argument: time.Time, int, int64, int32; anything else is now. */
static void date_arg(struct helm_ctx *c, const struct hv *v, struct hv_time *t)
{
	if (v->kind == HV_TIME) {
		*t = v->time;
		return;
	}
	if (v->kind == HV_INT && (!strcmp(v->type, "int") || !strcmp(v->type, "int64") ||
				  !strcmp(v->type, "int32"))) {
		memset(t, 0, sizeof(*t));
		t->sec = v->i;
		return;
	}
	sprig_now(c, t);
}

static int date_in_zone(struct helm_ctx *c, struct hv **out, const struct hv *fmt,
			const struct hv *date, const char *zone)
{
	struct strbuf sb = STRBUF_INIT;
	struct hv_time t;

	date_arg(c, date, &t);
	if (!zone_at(c, zone, t.sec, &t.offset, &t.zone))
		zone_at(c, "UTC", t.sec, &t.offset, &t.zone);
	go_format(&sb, fmt->s, fmt->len, &t);
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_date)
{
	return date_in_zone(c, out, a[0], a[1], "Local");
}

SPRIG_FN(sf_dateinzone)
{
	return date_in_zone(c, out, a[0], a[1], a[2]->s);
}

SPRIG_FN(sf_htmldate)
{
	struct hv f = { .kind = HV_STRING, .type = HV_T_STRING, .s = "2006-01-02", .len = 10 };

	return date_in_zone(c, out, &f, a[0], "Local");
}

SPRIG_FN(sf_htmldateinzone)
{
	struct hv f = { .kind = HV_STRING, .type = HV_T_STRING, .s = "2006-01-02", .len = 10 };

	return date_in_zone(c, out, &f, a[0], a[1]->s);
}

SPRIG_FN(sf_now)
{
	struct hv_time t;

	sprig_now(c, &t);
	return sprig_ret(out, hv_time(c, &t));
}

SPRIG_FN(sf_unixepoch)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", (long long)a[0]->time.sec);
	return sprig_ret(out, hv_cstr(c, b));
}

static int date_modify(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool must)
{
	struct hv_time t = a[1]->time;
	int64_t d;

	if (!parse_duration(a[0]->s, a[0]->len, &d)) {
		if (must)
			return hctx_fail(c, "time: invalid duration \"%.*s\"", (int)a[0]->len, a[0]->s);
		return sprig_ret(out, a[1]);
	}
	{
		int64_t ns = (int64_t)t.nsec + d % 1000000000;
		t.sec += d / 1000000000 + floor_div(ns, 1000000000);
		t.nsec = (int32_t)(ns - floor_div(ns, 1000000000) * 1000000000);
	}
	return sprig_ret(out, hv_time(c, &t));
}

SPRIG_FN(sf_datemodify)
{
	return date_modify(c, out, a, false);
}

SPRIG_FN(sf_mustdatemodify)
{
	return date_modify(c, out, a, true);
}

SPRIG_FN(sf_duration)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t secs = 0;

	if (a[0]->kind == HV_STRING) {
		/* strconv.ParseInt(s, 10, 64), 0 on error */
		char *e, *tmp = xstrndup(a[0]->s, a[0]->len);
		long long v;
		errno = 0;
		v = strtoll(tmp, &e, 10);
		if (*tmp && !*e && !errno && !strchr(tmp, ' ') && tmp[0] != ' ')
			secs = v;
		free(tmp);
	} else if (a[0]->kind == HV_INT && !strcmp(a[0]->type, "int64")) {
		secs = a[0]->i;
	}
	sprig_duration_string(&sb, (int64_t)((uint64_t)secs * 1000000000ULL));
	return sprig_ret_buf(c, out, &sb);
}

SPRIG_FN(sf_durationround)
{
	int64_t d = 0;
	uint64_t u;
	const uint64_t second = 1000000000ULL, minute = 60 * second, hour = 60 * minute,
		       day = 24 * hour, month = 30 * day, year = 365 * day;
	char b[32];

	if (a[0]->kind == HV_STRING) {
		if (!parse_duration(a[0]->s, a[0]->len, &d))
			d = 0;
	} else if (a[0]->kind == HV_INT && !strcmp(a[0]->type, "int64")) {
		d = a[0]->i;
	} else if (a[0]->kind == HV_TIME) {
		struct hv_time now;
		sprig_now(c, &now);
		d = (int64_t)((uint64_t)(now.sec - a[0]->time.sec) * second +
			      (uint64_t)(now.nsec - a[0]->time.nsec));
	}
	u = (uint64_t)d;
	if (d < 0)
		u = 0 - u;
	if (u > year)
		snprintf(b, sizeof(b), "%lluy", (unsigned long long)(u / year));
	else if (u > month)
		snprintf(b, sizeof(b), "%llumo", (unsigned long long)(u / month));
	else if (u > day)
		snprintf(b, sizeof(b), "%llud", (unsigned long long)(u / day));
	else if (u > hour)
		snprintf(b, sizeof(b), "%lluh", (unsigned long long)(u / hour));
	else if (u > minute)
		snprintf(b, sizeof(b), "%llum", (unsigned long long)(u / minute));
	else if (u > second)
		snprintf(b, sizeof(b), "%llus", (unsigned long long)(u / second));
	else
		snprintf(b, sizeof(b), "0s");
	return sprig_ret(out, hv_cstr(c, b));
}

SPRIG_FN(sf_ago)
{
	struct strbuf sb = STRBUF_INIT;
	struct hv_time now, t;
	int64_t d, r;

	sprig_now(c, &now);
	if (a[0]->kind == HV_TIME)
		t = a[0]->time;
	else if (a[0]->kind == HV_INT && (!strcmp(a[0]->type, "int") || !strcmp(a[0]->type, "int64")))
		t.sec = a[0]->i, t.nsec = 0;
	else
		t = now;
	d = (now.sec - t.sec) * 1000000000LL + (now.nsec - t.nsec);
	/* Duration.Round(time.Second): halves away from zero */
	{
		int64_t orig = d;
		r = d % 1000000000LL;
		if (r < 0)
			r = -r;
		d -= d % 1000000000LL;
		if (r + r >= 1000000000LL)
			d += orig < 0 ? -1000000000LL : 1000000000LL;
	}
	sprig_duration_string(&sb, d);
	return sprig_ret_buf(c, out, &sb);
}

/* --- Parse (toDate) -------------------------------------------------------- */

static const char *const short_days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* time's quote: ASCII as is (" and \ escaped), other bytes as \xNN. */
static void tquote(struct strbuf *sb, const char *s, size_t n)
{
	size_t i;

	strbuf_addch(sb, '"');
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80 || ch < ' ') {
			strbuf_addf(sb, "\\x%02x", ch);
			continue;
		}
		if (ch == '"' || ch == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, ch);
	}
	strbuf_addch(sb, '"');
}

static bool digit_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

/* getnum: one or two digits (exactly two when fixed). */
static int getnum(const char **s, size_t *n, bool fixed, int *out)
{
	if (!digit_at(*s, *n, 0))
		return -1;
	if (!digit_at(*s, *n, 1)) {
		if (fixed)
			return -1;
		*out = (*s)[0] - '0';
		(*s)++;
		(*n)--;
		return 0;
	}
	*out = ((*s)[0] - '0') * 10 + (*s)[1] - '0';
	*s += 2;
	*n -= 2;
	return 0;
}

static int getnum3(const char **s, size_t *n, bool fixed, int *out)
{
	int v = 0, i;

	for (i = 0; i < 3 && digit_at(*s, *n, 0); i++) {
		v = v * 10 + (*s)[0] - '0';
		(*s)++;
		(*n)--;
	}
	if (i == 0 || (fixed && i != 3))
		return -1;
	*out = v;
	return 0;
}

/* lookup: a case-insensitive prefix match against a name table. */
static int name_lookup(const char *const *tab, int ntab, size_t cut, const char **s, size_t *n)
{
	int i;

	for (i = 0; i < ntab; i++) {
		size_t l = cut ? cut : strlen(tab[i]);
		if (*n >= l && !strncasecmp(*s, tab[i], l)) {
			*s += l;
			*n -= l;
			return i;
		}
	}
	return -1;
}

/* parseTimeZone: the length of a zone abbreviation at s, 0 if none. */
static size_t tz_len(const char *s, size_t n)
{
	size_t up;

	if (n < 3)
		return 0;
	if (n >= 4 && (!memcmp(s, "ChST", 4) || !memcmp(s, "MeST", 4)))
		return 4;
	if (!memcmp(s, "GMT", 3) || s[0] == '+' || s[0] == '-') {
		size_t st = s[0] == 'G' ? 3 : 0, i;
		long x = 0;
		if (st == 3 && n == 3)
			return 3;
		if (s[st] != '+' && s[st] != '-')
			return st == 3 ? 3 : 0;
		for (i = st + 1; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			x = x * 10 + (s[i] - '0');
		if (i == st + 1 || x > 23)
			return st == 3 ? 3 : 0;
		return i;
	}
	for (up = 0; up < 6 && up < n && s[up] >= 'A' && s[up] <= 'Z'; up++)
		;
	if (up == 3)
		return 3;
	if (up == 4 && (s[3] == 'T' || !memcmp(s, "WITA", 4)))
		return 4;
	if (up == 5 && s[4] == 'T')
		return 5;
	return 0;
}

static int days_in(int m, int64_t y)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* time.ParseInLocation(layout, value, Local). */
static int go_parse(struct helm_ctx *c, const char *layout, size_t ll, const char *value,
		    size_t vl, struct hv_time *out, struct strbuf *err)
{
	const char *l = layout, *v = value;
	size_t ln = ll, vn = vl;
	int64_t year = 0;
	int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
	int zone_off = -1;
	const char *zone_name = NULL;
	size_t zone_nlen = 0;
	bool am = false, pm = false, utc = false;
	const char *range = NULL;

	for (;;) {
		size_t pre, sl, k;
		int fracn = 0;
		char sep;
		enum std s = next_std(l, ln, &pre, &sl, &fracn, &sep);
		const char *stdstr = l + pre;
		bool bad = false;

		/* skip(value, prefix) */
		for (k = 0; k < pre;) {
			if (l[k] == ' ') {
				if (vn && v[0] != ' ')
					goto cannot_prefix;
				while (k < pre && l[k] == ' ')
					k++;
				while (vn && v[0] == ' ')
					v++, vn--;
				continue;
			}
			if (!vn || v[0] != l[k])
				goto cannot_prefix;
			k++;
			v++;
			vn--;
		}
		if (s == S_NONE) {
			if (vn) {
				strbuf_addstr(err, "parsing time ");
				tquote(err, value, vl);
				strbuf_addstr(err, ": extra text: ");
				tquote(err, v, vn);
				return -1;
			}
			break;
		}
		l += pre + sl;
		ln -= pre + sl;
		switch (s) {
		/* Where Go slices the value before checking it, the error shows the rest. */
		case S_YEAR:
			if (vn < 2) {
				bad = true;
				break;
			}
			/* Go restores the value for a bad two-digit year. */
			bad = !digit_at(v, vn, 0) || !digit_at(v, vn, 1);
			if (bad)
				break;
			year = (v[0] - '0') * 10 + v[1] - '0';
			year += year >= 69 ? 1900 : 2000;
			v += 2, vn -= 2;
			break;
		case S_LONGYEAR:
			if (vn < 4 || !digit_at(v, vn, 0)) {
				bad = true;
				break;
			}
			bad = !digit_at(v, vn, 1) || !digit_at(v, vn, 2) || !digit_at(v, vn, 3);
			year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + v[3] - '0';
			v += 4, vn -= 4;
			break;
		case S_MONTH:
			month = name_lookup(long_months, 12, 3, &v, &vn) + 1;
			bad = month == 0;
			break;
		case S_LONGMONTH:
			month = name_lookup(long_months, 12, 0, &v, &vn) + 1;
			bad = month == 0;
			break;
		case S_NUMMONTH:
		case S_ZEROMONTH:
			bad = getnum(&v, &vn, s == S_ZEROMONTH, &month) < 0;
			if (!bad && (month <= 0 || month > 12))
				range = "month";
			break;
		case S_WEEKDAY:
			bad = name_lookup(short_days, 7, 0, &v, &vn) < 0;
			break;
		case S_LONGWEEKDAY:
			bad = name_lookup(long_days, 7, 0, &v, &vn) < 0;
			break;
		case S_DAY:
		case S_UNDERDAY:
		case S_ZERODAY:
			if (s == S_UNDERDAY && vn && v[0] == ' ')
				v++, vn--;
			bad = getnum(&v, &vn, s == S_ZERODAY, &day) < 0;
			break;
		case S_UNDERYEARDAY:
		case S_ZEROYEARDAY:
			for (k = 0; k < 2; k++)
				if (s == S_UNDERYEARDAY && vn && v[0] == ' ')
					v++, vn--;
			bad = getnum3(&v, &vn, s == S_ZEROYEARDAY, &yday) < 0;
			break;
		case S_HOUR:
			bad = getnum(&v, &vn, false, &hour) < 0;
			if (hour < 0 || hour >= 24)
				range = "hour";
			break;
		case S_HOUR12:
		case S_ZEROHOUR12:
			bad = getnum(&v, &vn, s == S_ZEROHOUR12, &hour) < 0;
			if (hour < 0 || hour > 12)
				range = "hour";
			break;
		case S_MINUTE:
		case S_ZEROMINUTE:
			bad = getnum(&v, &vn, s == S_ZEROMINUTE, &min) < 0;
			if (min < 0 || min >= 60)
				range = "minute";
			break;
		case S_SECOND:
		case S_ZEROSECOND:
			bad = getnum(&v, &vn, s == S_ZEROSECOND, &sec) < 0;
			if (bad)
				break;
			if (sec >= 60) {
				range = "second";
				break;
			}
			/* A fraction in the input that the layout does not name. */
			if (vn >= 2 && (v[0] == '.' || v[0] == ',') && digit_at(v, vn, 1)) {
				size_t p2, s2;
				int f2;
				char c2;
				enum std nx = next_std(l, ln, &p2, &s2, &f2, &c2);
				if (nx != S_FRAC0 && nx != S_FRAC9) {
					size_t nd = 2, j;
					int ns = 0;
					while (nd < vn && digit_at(v, vn, nd))
						nd++;
					for (j = 1; j < nd && j < 10; j++)
						ns = ns * 10 + v[j] - '0';
					for (; j < 10; j++)
						ns *= 10;
					nsec = ns;
					v += nd, vn -= nd;
				}
			}
			break;
		case S_PM:
		case S_pm:
			if (vn < 2) {
				bad = true;
				break;
			}
			if (!memcmp(v, s == S_PM ? "PM" : "pm", 2))
				pm = true;
			else if (!memcmp(v, s == S_PM ? "AM" : "am", 2))
				am = true;
			else
				bad = true;
			v += 2, vn -= 2;
			break;
		case S_TZ:
			if (vn >= 3 && !memcmp(v, "UTC", 3)) {
				utc = true;
				v += 3, vn -= 3;
				break;
			}
			k = tz_len(v, vn);
			if (!k) {
				bad = true;
				break;
			}
			zone_name = v;
			zone_nlen = k;
			v += k, vn -= k;
			break;
		case S_FRAC0: {
			size_t nd = 1 + (size_t)fracn, j;
			int ns = 0;
			if (vn < nd) {
				bad = true;
				break;
			}
			bad = v[0] != '.' && v[0] != ',';
			for (j = 1; !bad && j < nd && j < 10; j++) {
				if (!digit_at(v, vn, j))
					bad = true;
				else
					ns = ns * 10 + v[j] - '0';
			}
			if (bad) {
				v += nd, vn -= nd;
				break;
			}
			for (; j < 10; j++)
				ns *= 10;
			nsec = ns;
			v += nd, vn -= nd;
			break;
		}
		case S_FRAC9: {
			size_t j = 0;
			int ns = 0;
			if (vn < 2 || (v[0] != '.' && v[0] != ',') || !digit_at(v, vn, 1))
				break;
			while (j + 1 < vn && digit_at(v, vn, j + 1))
				j++;
			for (k = 1; k <= j && k < 10; k++)
				ns = ns * 10 + v[k] - '0';
			for (; k < 10; k++)
				ns *= 10;
			nsec = ns;
			v += 1 + j, vn -= 1 + j;
			break;
		}
		default: {
			/* numeric zones */
			size_t need;
			int hh, mm, ss = 0;
			const char *p;
			if ((s == S_ISO_TZ || s == S_ISO_SHORT_TZ || s == S_ISO_COLON_TZ) && vn &&
			    v[0] == 'Z') {
				v++, vn--;
				utc = true;
				break;
			}
			need = s == S_ISO_COLON_TZ || s == S_NUM_COLON_TZ		    ? 6
			       : s == S_NUM_SHORT_TZ || s == S_ISO_SHORT_TZ	    ? 3
			       : s == S_ISO_COLON_SECS_TZ || s == S_NUM_COLON_SECS_TZ ? 9
			       : s == S_ISO_SECS_TZ || s == S_NUM_SECS_TZ	    ? 7
										    : 5;
			if (vn < need || (need == 6 && v[3] != ':') ||
			    (need == 9 && (v[3] != ':' || v[6] != ':'))) {
				bad = true;
				break;
			}
			p = v + 1;
			if (!digit_at(p, 2, 0) || !digit_at(p, 2, 1)) {
				bad = true;
				v += need, vn -= need;
				break;
			}
			hh = (p[0] - '0') * 10 + p[1] - '0';
			mm = 0;
			if (need != 3) {
				const char *q = need == 6 || need == 9 ? v + 4 : v + 3;
				if (!digit_at(q, 2, 0) || !digit_at(q, 2, 1)) {
					bad = true;
					v += need, vn -= need;
					break;
				}
				mm = (q[0] - '0') * 10 + q[1] - '0';
			}
			if (need == 7 || need == 9) {
				const char *q = need == 9 ? v + 7 : v + 5;
				if (!digit_at(q, 2, 0) || !digit_at(q, 2, 1)) {
					bad = true;
					v += need, vn -= need;
					break;
				}
				ss = (q[0] - '0') * 10 + q[1] - '0';
			}
			zone_off = (hh * 60 + mm) * 60 + ss;
			if (v[0] == '-')
				zone_off = -zone_off;
			else if (v[0] != '+')
				bad = true;
			v += need, vn -= need;
			break;
		}
		}
		if (range) {
			strbuf_addstr(err, "parsing time ");
			tquote(err, value, vl);
			strbuf_addf(err, ": %s out of range", range);
			return -1;
		}
		if (bad) {
			strbuf_addstr(err, "parsing time ");
			tquote(err, value, vl);
			strbuf_addstr(err, " as ");
			tquote(err, layout, ll);
			strbuf_addstr(err, ": cannot parse ");
			tquote(err, v, vn);
			strbuf_addstr(err, " as ");
			tquote(err, stdstr, sl);
			return -1;
		}
		continue;
cannot_prefix:
		strbuf_addstr(err, "parsing time ");
		tquote(err, value, vl);
		strbuf_addstr(err, " as ");
		tquote(err, layout, ll);
		strbuf_addstr(err, ": cannot parse ");
		tquote(err, v, vn);
		strbuf_addstr(err, " as ");
		tquote(err, l, pre);
		return -1;
	}
	if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	if (yday >= 0) {
		static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 };
		int m = 0, d = 0, yd = yday;
		bool lp = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
		if (lp) {
			if (yd == 31 + 29) {
				m = 2;
				d = 29;
			} else if (yd > 31 + 29) {
				yd--;
			}
		}
		if (yd < 1 || yd > 365) {
			strbuf_addstr(err, "parsing time ");
			tquote(err, value, vl);
			strbuf_addstr(err, ": day-of-year out of range");
			return -1;
		}
		if (!m) {
			m = (yd - 1) / 31 + 1;
			if (before[m] < yd)
				m++;
			d = yd - before[m - 1];
		}
		if ((month >= 0 && month != m) || (day >= 0 && day != d)) {
			strbuf_addstr(err, "parsing time ");
			tquote(err, value, vl);
			strbuf_addstr(err, month >= 0 && month != m
						   ? ": day-of-year does not match month"
						   : ": day-of-year does not match day");
			return -1;
		}
		month = m;
		day = d;
	} else {
		if (month < 0)
			month = 1;
		if (day < 0)
			day = 1;
	}
	if (day < 1 || day > days_in(month, year)) {
		strbuf_addstr(err, "parsing time ");
		tquote(err, value, vl);
		strbuf_addstr(err, ": day out of range");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->sec = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
	out->nsec = nsec;
	if (utc) {
		out->zone = "UTC";
		return 0;
	}
	if (zone_off != -1) {
		int32_t loff;
		const char *lname;
		out->sec -= zone_off;
		zone_at(c, "Local", out->sec, &loff, &lname);
		if (loff == zone_off &&
		    (!zone_name || (strlen(lname) == zone_nlen && !memcmp(lname, zone_name, zone_nlen)))) {
			out->offset = loff;
			out->zone = lname;
		} else {
			out->offset = zone_off;
			out->zone = zone_name ? hctx_strndup(c, zone_name, zone_nlen) : "";
		}
		return 0;
	}
	if (zone_name) {
		int32_t loff;
		const char *lname;
		zone_at(c, "Local", out->sec, &loff, &lname);
		zone_at(c, "Local", out->sec - loff, &loff, &lname);
		if (strlen(lname) == zone_nlen && !memcmp(lname, zone_name, zone_nlen)) {
			out->sec -= loff;
			out->offset = loff;
			out->zone = lname;
			return 0;
		}
		if (zone_nlen > 3 && !memcmp(zone_name, "GMT", 3))
			out->offset = (int32_t)strtol(zone_name + 3, NULL, 10) * 3600;
		out->zone = hctx_strndup(c, zone_name, zone_nlen);
		return 0;
	}
	/* In the Local zone: find the offset in effect at that wall time. */
	{
		int32_t loff;
		const char *lname;
		zone_at(c, "Local", out->sec, &loff, &lname);
		zone_at(c, "Local", out->sec - loff, &loff, &lname);
		out->sec -= loff;
		out->offset = loff;
		out->zone = lname;
	}
	return 0;
}

static int to_date(struct helm_ctx *c, struct hv **out, struct hv *const *a, bool must)
{
	struct strbuf err = STRBUF_INIT;
	struct hv_time t;
	int r;

	if (go_parse(c, a[0]->s, a[0]->len, a[1]->s, a[1]->len, &t, &err)) {
		/* toDate ignores the error: Go's zero Time, 0001-01-01 00:00:00 UTC. */
		r = must ? hctx_fail(c, "%s", err.buf) : 0;
		strbuf_release(&err);
		if (must)
			return r;
		memset(&t, 0, sizeof(t));
		t.sec = -62135596800LL;
		t.zone = "UTC";
		return sprig_ret(out, hv_time(c, &t));
	}
	strbuf_release(&err);
	return sprig_ret(out, hv_time(c, &t));
}

SPRIG_FN(sf_todate)
{
	return to_date(c, out, a, false);
}

SPRIG_FN(sf_musttodate)
{
	return to_date(c, out, a, true);
}
