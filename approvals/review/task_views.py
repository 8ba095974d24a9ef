"""The view viewflow links each human task to.

The review screens themselves are the next piece of work (issue 3); until
they exist, a task opened from viewflow's own pages says where it is done
instead of offering a generic form that would bypass the services.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views import View


class TaskScreenView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse(
            _("This task is completed through the single-window services."),
            content_type="text/plain; charset=utf-8",
        )
