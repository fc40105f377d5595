/* Formatting by hand instead of strftime/gmtime_r: no locale or tz files are touched, it
 * cannot fail, and the static binary stays small. */
#include <stdint.h>

#include "timefmt.h"

static char *
put_digits (char *p, uint64_t v, int width)
{
  for (int i = width - 1; i >= 0; i--)
    {
      p[i] = (char) ('0' + v % 10);
      v /= 10;
    }
  return p + width;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian); Howard Hinnant's
 * days_to_civil, exact for every int64 day count we can meet. */
static void
civil_from_days (int64_t z, int64_t *year, unsigned *month, unsigned *day)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned) (z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;

  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = (int64_t) yoe + era * 400 + (*month <= 2);
}

size_t
timefmt_rfc3339nano (const struct timespec *ts, char *buf)
{
  int64_t secs = (int64_t) ts->tv_sec;
  int64_t nsec = ts->tv_nsec;
  int64_t days, rem, year;
  unsigned month, day;
  char *p = buf;

  if (nsec < 0 || nsec > 999999999)
    nsec = 0;
  days = secs / 86400;
  rem = secs % 86400;
  if (rem < 0)
    {
      rem += 86400;
      days--;
    }
  civil_from_days (days, &year, &month, &day);
  if (year < 0)
    {
      year = 0, month = 1, day = 1, rem = 0, nsec = 0;
    }
  else if (year > 9999)
    {
      year = 9999, month = 12, day = 31, rem = 86399, nsec = 999999999;
    }

  p = put_digits (p, (uint64_t) year, 4);
  *p++ = '-';
  p = put_digits (p, month, 2);
  *p++ = '-';
  p = put_digits (p, day, 2);
  *p++ = 'T';
  p = put_digits (p, (uint64_t) rem / 3600, 2);
  *p++ = ':';
  p = put_digits (p, (uint64_t) rem / 60 % 60, 2);
  *p++ = ':';
  p = put_digits (p, (uint64_t) rem % 60, 2);
  *p++ = '.';
  p = put_digits (p, (uint64_t) nsec, 9);
  *p++ = 'Z';
  *p = '\0';
  return (size_t) (p - buf);
}
